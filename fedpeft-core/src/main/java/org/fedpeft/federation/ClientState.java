package org.fedpeft.federation;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFile;
import org.fedpeft.tensor.HostTensor;

/**
 * What one client keeps between rounds and never sends: its LOCAL tensors (FedDPA's personal
 * adapter, a client's own head) and small named values (its sample-level privacy accountant as
 * JSON, under {@code privacy.}; other state under a prefix of its own). One record per client in
 * one {@link ClientStateStore}, so everything local lives in one place and is saved together.
 *
 * <p>Immutable: the maps are sorted unmodifiable copies and the tensors are deep copies, so
 * changing a tensor after constructing a state, or a tensor read from it, does not change it.
 *
 * <p>Its safetensors form as client {@code <id>}'s ({@link #toBytes}, and a client's {@code
 * --state} files, {@link ClientStateStore#onDisk}): the LOCAL tensors in F32, and the metadata
 * {@code fedpeft.message = client_state}, {@code client_id = <id>} and {@code value.<key>} per
 * value (a {@code --state} file also its round and a content checksum).
 *
 * @param tensors LOCAL tensors by name
 * @param values named values
 */
public record ClientState(Map<String, HostTensor> tensors, Map<String, String> values) {

  /** A client that has stored nothing. */
  public static final ClientState EMPTY = new ClientState(Map.of(), Map.of());

  /** The {@code fedpeft.message} of a client's state in safetensors form. */
  static final String MESSAGE = "client_state";

  private static final String CLIENT_ID = "client_id";
  private static final String VALUE_PREFIX = "value.";

  /** Validates (no null names or values) and copies. */
  public ClientState {
    SortedMap<String, HostTensor> t = new TreeMap<>();
    Wire.sortedCopy(tensors, "local tensor").forEach((k, v) -> t.put(k, v.copy()));
    tensors = Collections.unmodifiableSortedMap(t);
    values = Wire.sortedCopy(values, "local value");
  }

  /** The value under {@code key}, if any. */
  public Optional<String> value(String key) {
    return Optional.ofNullable(values.get(Objects.requireNonNull(key, "key")));
  }

  /** A copy with {@code key} set to {@code value}; the tensors are kept. */
  public ClientState withValue(String key, String value) {
    TreeMap<String, String> v = new TreeMap<>(values);
    v.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
    return new ClientState(tensors, v);
  }

  /** A copy with other tensors; the values are kept. */
  public ClientState withTensors(Map<String, HostTensor> newTensors) {
    return new ClientState(newTensors, values);
  }

  /** True if it holds nothing. */
  public boolean isEmpty() {
    return tensors.isEmpty() && values.isEmpty();
  }

  /** This state's safetensors form as client {@code clientId}'s; equal states give equal bytes. */
  public byte[] toBytes(String clientId) {
    return Safetensors.serialize(tensors, metadata(clientId));
  }

  /**
   * Reads what {@link #toBytes} wrote.
   *
   * @param source names the origin in error messages (a file)
   * @throws IllegalArgumentException naming {@code source} if the bytes are not a client's state,
   *     or are another client's
   */
  public static ClientState fromBytes(byte[] bytes, String clientId, String source) {
    return parse(Safetensors.deserialize(bytes, source), clientId, source);
  }

  /** The metadata of this state's safetensors form as client {@code clientId}'s. */
  Map<String, String> metadata(String clientId) {
    Map<String, String> meta = new TreeMap<>();
    Wire.putPrefixed(meta, VALUE_PREFIX, values);
    meta.put(Wire.KIND, MESSAGE);
    meta.put(CLIENT_ID, Objects.requireNonNull(clientId, "clientId"));
    return meta;
  }

  /**
   * The state in a file of the safetensors form, which must be client {@code clientId}'s.
   *
   * @param source names the file in error messages
   */
  static ClientState parse(SafetensorsFile f, String clientId, String source) {
    Wire.checkKind(f, MESSAGE);
    String stored = Wire.require(f, CLIENT_ID);
    if (!stored.equals(clientId)) {
      throw new IllegalArgumentException(
          source + ": holds the state of client '" + stored + "', not '" + clientId + "'");
    }
    return new ClientState(Wire.f32Tensors(f), Wire.withPrefix(f.metadata(), VALUE_PREFIX));
  }
}
