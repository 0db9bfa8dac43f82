package org.fedpeft.federation;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of {@link Strategy#aggregate}: the next state plus what the round's report needs
 * (Flower's aggregate returns parameters and metrics; the accepted and failed clients are added so
 * that rejections found during validation are reported, not lost).
 *
 * @param state the state after the round
 * @param accepted the clients whose updates were aggregated, sorted
 * @param failures every sampled client that did not contribute (transport failures and rejected
 *     updates), sorted by client id
 * @param metrics round metrics: the example-weighted mean of each client training metric over the
 *     accepted clients under its own name, and the server's own under {@code server.*} (and
 *     strategy-specific names such as {@code fedex.residual_norm})
 */
public record Aggregation(
    ServerState state,
    List<String> accepted,
    List<ClientFailure> failures,
    Map<String, Double> metrics) {

  /** Copies the collections. */
  public Aggregation {
    Objects.requireNonNull(state, "state");
    accepted = List.copyOf(accepted);
    failures = List.copyOf(failures);
    metrics = Wire.sortedCopy(metrics, "metric");
  }
}
