package org.fedpeft.federation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import org.fedpeft.tensor.HostTensor;

/**
 * Where each client keeps its LOCAL tensors between rounds (FedDPA's personal adapter, a client's
 * own head), keyed by client id. The server never sees them.
 *
 * <p>Implementations store copies: changing a map or tensor after {@link #save} or after {@link
 * #load} does not change what is stored. Two are provided: {@link #inMemory()} for simulations and
 * {@link #onDisk(Path)}, one safetensors file per client written atomically, so a client process
 * that dies mid-write keeps its previous state.
 */
public interface ClientStateStore {

  /**
   * The stored tensors of a client.
   *
   * @return the tensors, or empty if the client has stored nothing yet
   * @throws IOException if stored state cannot be read
   */
  Optional<Map<String, HostTensor>> load(String clientId) throws IOException;

  /**
   * Replaces the stored tensors of a client.
   *
   * @throws IOException if the state cannot be written (the previous state is then kept)
   */
  void save(String clientId, Map<String, HostTensor> tensors) throws IOException;

  /** Forgets a client's tensors, if any. */
  void delete(String clientId) throws IOException;

  /** The ids of the clients with stored tensors, sorted. */
  SortedSet<String> clientIds() throws IOException;

  /** A store in memory. */
  static ClientStateStore inMemory() {
    return new InMemoryClientStateStore();
  }

  /**
   * A store of one {@code <client>.safetensors} file per client in a folder (created if needed).
   */
  static ClientStateStore onDisk(Path dir) {
    return new DiskClientStateStore(dir);
  }
}
