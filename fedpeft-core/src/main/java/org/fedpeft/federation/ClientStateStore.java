package org.fedpeft.federation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SortedSet;

/**
 * Where each client keeps its {@link ClientState} between rounds (LOCAL tensors such as FedDPA's
 * personal adapter, and values such as its sample-level privacy accountant), keyed by client id.
 * The server never sees it.
 *
 * <p>Implementations store copies: changing a tensor after {@link #save} or after {@link #load}
 * does not change what is stored. Two are provided: {@link #inMemory()} for simulations (the
 * simulation's checkpoints write the states that changed, {@code run.RunCheckpoint.Writer}, so it
 * keeps one version) and {@link #onDisk(Path)}, one safetensors file per client written atomically,
 * so a client process that dies mid-write keeps its previous state, with the version before the
 * last round's.
 */
public interface ClientStateStore {

  /**
   * The stored state of a client.
   *
   * @return the state, or empty if the client has stored nothing yet
   * @throws IOException if stored state cannot be read
   * @throws RuntimeException naming the file if what is stored is not this client's state: {@code
   *     SafetensorsFormatException} for a damaged file, IllegalArgumentException for another kind
   *     of message, another client's state or a folder in the file's place
   */
  Optional<ClientState> load(String clientId) throws IOException;

  /**
   * Replaces the stored state of a client.
   *
   * @throws IOException if the state cannot be written (the previous state is then kept)
   */
  void save(String clientId, ClientState state) throws IOException;

  /**
   * The state as it stood at the end of round {@code round}: what the last {@link #save(String,
   * int, ClientState)} of a round up to {@code round} wrote. A client fitting round t asks for t -
   * 1, so a round that is run again (by a server resumed from its checkpoint after the client had
   * already fitted it) starts from the state the first attempt started from. This default keeps one
   * version, so it is {@link #load}.
   *
   * @throws IOException if stored state cannot be read
   */
  default Optional<ClientState> loadAsOf(String clientId, int round) throws IOException {
    return load(clientId);
  }

  /**
   * Replaces the stored state of a client with what round {@code round} left (see {@link
   * #loadAsOf}); this default is {@link #save(String, ClientState)}.
   *
   * @throws IOException if the state cannot be written (the previous state is then kept)
   */
  default void save(String clientId, int round, ClientState state) throws IOException {
    save(clientId, state);
  }

  /**
   * Binds the stored state to the run {@code run} (a server's run identity, the same when it
   * resumes): a store that holds state of another run refuses, so that a new run never starts from
   * an old run's LOCAL tensors or privacy accountants. This default (a simulation's store) binds
   * nothing.
   *
   * @throws IOException naming the other run if the store holds state of one
   */
  default void bindTo(String run) throws IOException {}

  /**
   * The run whose state this store holds ({@link #bindTo}; a store holding none is bound to no run,
   * as a new run may take it), or null. This default (a simulation's store) binds nothing.
   */
  default String boundRun() throws IOException {
    return null;
  }

  /** Forgets a client's state, if any. */
  void delete(String clientId) throws IOException;

  /** The ids of the clients with stored state, sorted. */
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
