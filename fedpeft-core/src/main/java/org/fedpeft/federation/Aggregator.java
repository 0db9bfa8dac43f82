package org.fedpeft.federation;

import java.util.Map;
import org.fedpeft.tensor.HostTensor;

/**
 * Combines the accepted client updates of a round into one target value per tensor: the point the
 * server moves towards (see {@link ServerOptimizer} for how it moves).
 *
 * <p>The standard rule is {@link WeightedMean}. The interface exists so that rules which need more
 * than a mean plug in without touching strategies: client-level DP-FedAvg (clip each client's
 * delta, divide by a fixed expected count, add Gaussian noise; see the privacy specification)
 * replaces it, and keeps its own state (its privacy accountant, the adaptive clip norm) in {@link
 * RoundContext#next()} under its own prefix.
 *
 * <p>Contract: the result holds exactly the tensors for which the rule has a new target (a tensor
 * no client sent is absent, so it keeps its previous value; client-level DP gives every global
 * tensor one, the previous value plus noise for a tensor no client sent); each result has the shape
 * of the current global tensor of that name; the result depends only on the context (pure), so a
 * replay gives the same bits.
 */
@FunctionalInterface
public interface Aggregator {

  /**
   * @param context the previous state, the round, the validated updates (sorted by client id), and
   *     the next state and metrics being built
   * @return the target per tensor, only for tensors that have one
   */
  Map<String, HostTensor> aggregate(RoundContext context);

  /**
   * Refuses a round before its instructions are sent out, for a rule that knows from the previous
   * state alone that it will not aggregate the round (client-level DP whose privacy budget the
   * round would exceed): the strategy calls it first in {@link Strategy#configureRound}, so that no
   * client trains or uploads for a round whose result would be refused. Default: every round may
   * run.
   *
   * @param previous the state after round {@code round - 1}
   * @param round the round about to be configured
   * @throws RuntimeException (e.g. {@code BudgetExceededException}) to refuse the round
   */
  default void checkRound(ServerState previous, int round) {}

  /**
   * Whether every round that {@link #checkRound} admits must be aggregated and released, however
   * few clients were sampled or sent a valid update (none included). Then the round driver does not
   * skip a Poisson round that drew fewer than {@code server.min_clients} clients ({@link
   * FederatedRound#run}) and {@link AbstractStrategy#aggregate} does not fail a round with fewer
   * valid updates than that: the rule gets a context with whatever updates there are, possibly
   * none, and returns its targets as usual. Client-level DP under Poisson client sampling says yes:
   * its accounting (amplification by subsampling) assumes a noisy release every round, and a round
   * left out because few clients took part would show whether a given client did. Default: false.
   */
  default boolean releasesEveryRound() {
    return false;
  }

  /**
   * What this aggregator is, in the terms of a run's config, for a strategy that cannot use it (for
   * example {@code client-level DP (privacy.mode = "client")}); default: its class name.
   */
  default String describe() {
    return getClass().getSimpleName();
  }
}
