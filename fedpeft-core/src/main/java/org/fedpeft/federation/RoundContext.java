package org.fedpeft.federation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The working set of one {@code aggregate} call, handed to its stages ({@link Aggregator}, strategy
 * hooks, {@link ServerOptimizer}): the inputs, read-only, and the next state and round metrics,
 * being built.
 */
public final class RoundContext {

  private final ServerState previous;
  private final int round;
  private final List<ClientUpdate> updates;
  private final ServerState.Builder next;
  private final TreeMap<String, Double> metrics = new TreeMap<>();

  /**
   * @param previous the state before the round
   * @param round the round being aggregated ({@code previous.round() + 1})
   * @param updates the validated updates; kept sorted by client id, so that sums run in an order
   *     that does not depend on when replies arrived
   */
  public RoundContext(ServerState previous, int round, List<ClientUpdate> updates) {
    this.previous = Objects.requireNonNull(previous, "previous");
    this.round = round;
    List<ClientUpdate> sorted = new ArrayList<>(updates);
    sorted.sort(Comparator.comparing(ClientUpdate::clientId));
    this.updates = Collections.unmodifiableList(sorted);
    this.next = previous.toBuilder().round(round);
  }

  /** The state before the round. */
  public ServerState previous() {
    return previous;
  }

  /** The round being aggregated. */
  public int round() {
    return round;
  }

  /** The validated updates, sorted by client id. */
  public List<ClientUpdate> updates() {
    return updates;
  }

  /** The next state, being built (its round is already set). */
  public ServerState.Builder next() {
    return next;
  }

  /** Records a round metric. */
  public void putMetric(String name, double value) {
    metrics.put(Objects.requireNonNull(name, "name"), value);
  }

  /** The round metrics recorded so far, sorted by name. */
  public SortedMap<String, Double> metrics() {
    return Collections.unmodifiableSortedMap(metrics);
  }
}
