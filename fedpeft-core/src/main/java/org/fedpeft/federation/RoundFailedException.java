package org.fedpeft.federation;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.io.Words;

/**
 * Thrown when fewer clients than a strategy's minimum contributed to a round. The round has no
 * result: the server state passed in is unchanged (states are immutable), and the caller may retry
 * the round or stop.
 */
public final class RoundFailedException extends RuntimeException {

  private static final int MAX_LISTED = 20;

  private final int round;
  private final int succeeded;
  private final int required;
  private final List<ClientFailure> failures;
  private final List<String> sampled;
  private final Map<String, Map<String, Double>> clientMetrics;
  private final double seconds;

  /**
   * @param round the round that failed
   * @param succeeded how many clients contributed valid updates
   * @param required the minimum the strategy needs
   * @param failures every client that did not contribute, with its reason
   */
  public RoundFailedException(
      int round, int succeeded, int required, List<ClientFailure> failures) {
    this(round, succeeded, required, failures, List.of(), Map.of(), 0);
  }

  private RoundFailedException(
      int round,
      int succeeded,
      int required,
      List<ClientFailure> failures,
      List<String> sampled,
      Map<String, Map<String, Double>> clientMetrics,
      double seconds) {
    super(message(round, succeeded, required, failures));
    this.round = round;
    this.succeeded = succeeded;
    this.required = required;
    this.failures = List.copyOf(failures);
    this.sampled = List.copyOf(sampled);
    Map<String, Map<String, Double>> cm = new TreeMap<>();
    clientMetrics.forEach((id, m) -> cm.put(id, Collections.unmodifiableMap(new TreeMap<>(m))));
    this.clientMetrics = Collections.unmodifiableMap(cm);
    this.seconds = seconds;
  }

  /**
   * The same failure, knowing which clients the round sampled, the metrics of each client that
   * replied (what its update reported, plus {@code fit_seconds}, as {@link
   * RoundReport#clientMetrics} has them), and the round's wall time so far ({@link FederatedRound}
   * adds them to what the strategy threw).
   */
  public RoundFailedException withRound(
      List<String> clients, Map<String, Map<String, Double>> metrics, double roundSeconds) {
    RoundFailedException e =
        new RoundFailedException(
            round, succeeded, required, failures, clients, metrics, roundSeconds);
    e.setStackTrace(getStackTrace());
    return e;
  }

  /** The clients the round sampled, in sampling order; empty if not known. */
  public List<String> sampled() {
    return sampled;
  }

  /** The fit seconds of each client that replied, by client id; empty if not known. */
  public Map<String, Double> clientFitSeconds() {
    Map<String, Double> out = new TreeMap<>();
    clientMetrics.forEach((id, m) -> out.put(id, m.get("fit_seconds")));
    return Collections.unmodifiableMap(out);
  }

  /**
   * The metrics of each client that replied, by client id (its update's metrics plus {@code
   * fit_seconds}); empty if not known.
   */
  public Map<String, Map<String, Double>> clientMetrics() {
    return clientMetrics;
  }

  /** The round's wall time until it failed, in seconds; 0 if not known. */
  public double seconds() {
    return seconds;
  }

  private static String message(
      int round, int succeeded, int required, List<ClientFailure> failures) {
    StringBuilder b = new StringBuilder();
    b.append("round ")
        .append(round)
        .append(" failed: ")
        .append(succeeded)
        .append(" ")
        .append(Words.plural(succeeded, "client"))
        .append(" contributed, at least ")
        .append(required)
        .append(" required");
    if (!failures.isEmpty()) {
      b.append("; failures: ");
      int shown = Math.min(failures.size(), MAX_LISTED);
      for (int i = 0; i < shown; i++) {
        if (i > 0) {
          b.append(", ");
        }
        b.append(failures.get(i));
      }
      if (failures.size() > shown) {
        b.append(" and ").append(failures.size() - shown).append(" more");
      }
    }
    return b.toString();
  }

  /** The round that failed. */
  public int round() {
    return round;
  }

  /** How many clients contributed valid updates. */
  public int succeeded() {
    return succeeded;
  }

  /** The minimum number of contributing clients. */
  public int required() {
    return required;
  }

  /** Every client that did not contribute, with its reason. */
  public List<ClientFailure> failures() {
    return failures;
  }
}
