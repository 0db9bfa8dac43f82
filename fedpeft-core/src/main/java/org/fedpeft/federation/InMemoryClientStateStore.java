package org.fedpeft.federation;

import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** {@link ClientStateStore} in memory; thread-safe; stores deep copies. */
final class InMemoryClientStateStore implements ClientStateStore {

  private final ConcurrentHashMap<String, ClientState> states = new ConcurrentHashMap<>();

  @Override
  public Optional<ClientState> load(String clientId) {
    ClientState s = states.get(Objects.requireNonNull(clientId, "clientId"));
    // The record's constructor copies the tensors, so the caller cannot change what is stored.
    return s == null ? Optional.empty() : Optional.of(new ClientState(s.tensors(), s.values()));
  }

  @Override
  public void save(String clientId, ClientState state) {
    Objects.requireNonNull(state, "state");
    states.put(
        Objects.requireNonNull(clientId, "clientId"),
        new ClientState(state.tensors(), state.values()));
  }

  @Override
  public void delete(String clientId) {
    states.remove(clientId);
  }

  @Override
  public SortedSet<String> clientIds() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(states.keySet()));
  }
}
