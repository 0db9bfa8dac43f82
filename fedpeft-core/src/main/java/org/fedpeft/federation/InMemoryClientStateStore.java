package org.fedpeft.federation;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.fedpeft.tensor.HostTensor;

/** {@link ClientStateStore} in memory; thread-safe; stores deep copies. */
final class InMemoryClientStateStore implements ClientStateStore {

  private final ConcurrentHashMap<String, SortedMap<String, HostTensor>> states =
      new ConcurrentHashMap<>();

  @Override
  public Optional<Map<String, HostTensor>> load(String clientId) {
    SortedMap<String, HostTensor> s = states.get(Objects.requireNonNull(clientId, "clientId"));
    return s == null ? Optional.empty() : Optional.of(deepCopy(s));
  }

  @Override
  public void save(String clientId, Map<String, HostTensor> tensors) {
    states.put(
        Objects.requireNonNull(clientId, "clientId"), deepCopy(Wire.sortedCopy(tensors, "tensor")));
  }

  @Override
  public void delete(String clientId) {
    states.remove(clientId);
  }

  @Override
  public SortedSet<String> clientIds() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(states.keySet()));
  }

  private static SortedMap<String, HostTensor> deepCopy(Map<String, HostTensor> m) {
    TreeMap<String, HostTensor> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.copy()));
    return Collections.unmodifiableSortedMap(out);
  }
}
