package org.fedpeft.federation;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
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
 * @param tensors LOCAL tensors by name
 * @param values named values
 */
public record ClientState(Map<String, HostTensor> tensors, Map<String, String> values) {

  /** A client that has stored nothing. */
  public static final ClientState EMPTY = new ClientState(Map.of(), Map.of());

  /** Validates (no null names or values) and copies. */
  public ClientState {
    SortedMap<String, HostTensor> t = new TreeMap<>();
    Wire.sortedCopy(tensors, "local tensor").forEach((k, v) -> t.put(k, v.copy()));
    tensors = Collections.unmodifiableSortedMap(t);
    values = Wire.sortedCopy(values, "local value");
  }

  /** A state of tensors only. */
  public static ClientState ofTensors(Map<String, HostTensor> tensors) {
    return new ClientState(tensors, Map.of());
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
}
