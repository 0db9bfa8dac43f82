package org.fedpeft.federation;

import java.util.List;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;

/**
 * A federated algorithm on the server side, as a set of pure functions of explicit state (after
 * Flower's strategy: configure a round, aggregate the replies; state kept explicit as in FedJAX).
 *
 * <p>One round t, whatever the transport:
 *
 * <ol>
 *   <li>the driver samples clients ({@link ClientSampler}, keyed by (seed, t));
 *   <li>{@link #configureRound} says what each sampled client receives;
 *   <li>each client runs {@link ClientApp#fit} and replies with a {@link ClientUpdate}, or fails;
 *   <li>{@link #aggregate} validates the replies, excludes bad ones, and maps the state of round
 *       t-1 to the state of round t.
 * </ol>
 *
 * <p>Contract for implementations: every method is a pure function of its arguments and the
 * strategy's immutable configuration. Nothing is remembered between calls; everything that must
 * survive a round is in the returned {@link ServerState}. Hence the in-process simulation and the
 * gRPC server run the same strategy object, and a server restarted from a saved state replays the
 * same rounds bit for bit. A strategy may delegate to another ({@code FedBeStrategy} wraps an
 * {@link AbstractStrategy} and adds each client's block assignment to its instructions);
 * client-level differential privacy is not a strategy but an {@link Aggregator} ({@code
 * ClientLevelDp}).
 */
public interface Strategy {

  /**
   * The strategy's name, recorded in the state it owns (e.g. {@code fedavg}, {@code fedex_lora}).
   */
  String name();

  /**
   * The minimum number of valid updates a round needs; fewer fail the round (unless {@link
   * #releasesEveryRound}).
   */
  int minClients();

  /**
   * Whether every round must complete with a release, whatever the number of clients sampled or
   * replying (none included), so that {@link #minClients()} fails no round and the driver skips
   * none: what the strategy's {@link Aggregator#releasesEveryRound} says (client-level DP under
   * Poisson client sampling). A wrapper delegates to the strategy it wraps.
   */
  boolean releasesEveryRound();

  /**
   * The state of round 0.
   *
   * @param initialGlobal the initial GLOBAL tensors (e.g. a freshly initialised adapter and head)
   */
  ServerState initialize(Map<String, HostTensor> initialGlobal);

  /**
   * What each sampled client receives in a round.
   *
   * @param state the state after round {@code round - 1}
   * @param round the round to run, {@code state.round() + 1}
   * @param sampledClients the clients taking part, distinct
   * @return instructions per client id, in the order of {@code sampledClients}
   * @throws org.fedpeft.privacy.BudgetExceededException if the round would exceed a client-level
   *     privacy budget ({@link Aggregator#checkRound}): nothing is sent out for it
   */
  Map<String, FitInstructions> configureRound(
      ServerState state, int round, List<String> sampledClients);

  /**
   * Validates the replies and computes the next state.
   *
   * @param state the state after round {@code round - 1}; never modified
   * @param round the round being completed, {@code state.round() + 1}
   * @param replies the updates received (possibly invalid; they are checked here)
   * @param failures clients that were sampled but did not reply, with the reason
   * @return the next state, the accepted clients, every failure (given and found) and metrics
   * @throws RoundFailedException if fewer than {@link #minClients()} replies are valid, unless
   *     {@link #releasesEveryRound()}
   */
  Aggregation aggregate(
      ServerState state, int round, List<ClientUpdate> replies, List<ClientFailure> failures);

  /**
   * What each client receives to evaluate the model of a state.
   *
   * @param state the state to evaluate
   * @param clients the clients to ask
   * @return instructions per client id, in the order of {@code clients}
   */
  Map<String, EvaluateInstructions> configureEvaluate(ServerState state, List<String> clients);

  /**
   * Combines evaluation results; by default each metric's mean weighted by example count over the
   * clients that reported it.
   */
  default Map<String, Double> aggregateEvaluate(ServerState state, List<EvaluateResult> results) {
    MetricMeans means = new MetricMeans();
    for (EvaluateResult r : results) {
      means.add(r.metrics(), r.numExamples());
    }
    return means.means();
  }
}
