package org.fedpeft.federation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.fedpeft.tensor.HostTensor;

/**
 * The skeleton shared by the averaging strategies: configure a round by sending each client its
 * {@link #downlink downlink} tensors and config, then aggregate in fixed stages.
 *
 * <p>{@link #aggregate} runs:
 *
 * <ol>
 *   <li><b>validate</b> each reply: the strategy's {@link #normalizeUpdate} (which may reshape a
 *       client's tensors into the global shapes), {@link UpdateValidator} against {@link
 *       #acceptedShapes}, then the strategy's own {@link #checkUpdate}; duplicate replies of one
 *       client and replies from clients also reported as failed are rejected. Rejected clients
 *       become {@link ClientFailure}s of kind {@code REJECTED};
 *   <li><b>quorum</b>: fewer valid updates than {@code minClients} throws {@link
 *       RoundFailedException} (nothing is built; the input state is immutable anyway), unless the
 *       aggregator {@linkplain Aggregator#releasesEveryRound releases every round} (client-level DP
 *       under Poisson client sampling): then the round goes on with the valid updates there are,
 *       possibly none;
 *   <li><b>aggregate</b>: the {@link Aggregator} (by default the per-tensor {@link WeightedMean}
 *       over the clients that sent each tensor) gives a target per tensor;
 *   <li><b>strategy hook</b> {@link #afterAggregate} (FedEx-LoRA folds its residual here);
 *   <li><b>server step</b>: the {@link ServerOptimizer} moves each tensor with a target towards it.
 * </ol>
 *
 * <p>What a method can rely on: a tensor that only some clients send is averaged over those clients
 * ({@link WeightedMean}), and one that nobody sent keeps its value; a tensor that is not in the
 * global state (a LOCAL, ROUND or FROZEN_SHARED tensor of the client's model) is rejected as
 * unknown; each client's config comes from the {@link ClientConfigurer}, a pure function of (state,
 * round, client), so {@link #checkUpdate} can recompute what a client was asked to train.
 */
public abstract class AbstractStrategy implements Strategy {

  private final String name;
  private final StrategyOptions options;

  /**
   * @param name the strategy's name, recorded in its states
   * @param options shared settings
   */
  protected AbstractStrategy(String name, StrategyOptions options) {
    this.name = Objects.requireNonNull(name, "name");
    this.options = Objects.requireNonNull(options, "options");
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final int minClients() {
    return options.minClients();
  }

  /** What the aggregator says ({@link Aggregator#releasesEveryRound}). */
  @Override
  public final boolean releasesEveryRound() {
    return options.aggregator().releasesEveryRound();
  }

  /** The shared settings. */
  public final StrategyOptions options() {
    return options;
  }

  @Override
  public ServerState initialize(Map<String, HostTensor> initialGlobal) {
    Objects.requireNonNull(initialGlobal, "initialGlobal");
    for (Map.Entry<String, HostTensor> e : initialGlobal.entrySet()) {
      if (e.getValue() != null && !e.getValue().allFinite()) {
        throw new IllegalArgumentException(
            name + ": initial tensor '" + e.getKey() + "' has a non-finite value");
      }
    }
    checkInitial(initialGlobal);
    Map<String, HostTensor> copy = new TreeMap<>();
    initialGlobal.forEach((k, v) -> copy.put(k, v == null ? null : v.copy()));
    return ServerState.initial(copy, name);
  }

  @Override
  public final Map<String, FitInstructions> configureRound(
      ServerState state, int round, List<String> sampledClients) {
    requireOwned(state);
    requireNextRound(state, round);
    requireDistinct(sampledClients);
    // A round the aggregator would refuse (a client-level privacy budget) is refused before any
    // client trains for it.
    options.aggregator().checkRound(state, round);
    Map<String, FitInstructions> out = new LinkedHashMap<>();
    for (String id : sampledClients) {
      Map<String, String> config =
          new TreeMap<>(options.clientConfig().configure(state, round, id));
      config.putAll(strategyConfig(state, id));
      out.put(id, new FitInstructions(id, round, fitDownlink(state, id), config));
    }
    return Collections.unmodifiableMap(out);
  }

  @Override
  public Map<String, EvaluateInstructions> configureEvaluate(
      ServerState state, List<String> clients) {
    requireOwned(state);
    requireDistinct(clients);
    Map<String, EvaluateInstructions> out = new LinkedHashMap<>();
    for (String id : clients) {
      Map<String, String> config =
          new TreeMap<>(options.clientConfig().configure(state, state.round(), id));
      config.putAll(strategyConfig(state, id));
      out.put(id, new EvaluateInstructions(id, state.round(), downlink(state, id), config));
    }
    return Collections.unmodifiableMap(out);
  }

  @Override
  public final Aggregation aggregate(
      ServerState state, int round, List<ClientUpdate> replies, List<ClientFailure> failures) {
    requireOwned(state);
    requireNextRound(state, round);
    Objects.requireNonNull(replies, "replies");
    Objects.requireNonNull(failures, "failures");

    Set<String> failedIds = new HashSet<>();
    for (ClientFailure f : failures) {
      failedIds.add(f.clientId());
    }
    Map<String, Integer> replyCount = new TreeMap<>();
    for (ClientUpdate u : replies) {
      replyCount.merge(Objects.requireNonNull(u, "reply").clientId(), 1, Integer::sum);
    }
    List<ClientUpdate> sorted = new ArrayList<>(replies);
    sorted.sort(Comparator.comparing(ClientUpdate::clientId));

    Map<String, long[]> accepted = acceptedShapes(state);
    List<ClientFailure> allFailures = new ArrayList<>(failures);
    List<ClientUpdate> ok = new ArrayList<>();
    Set<String> reportedDuplicates = new HashSet<>();
    for (ClientUpdate u : sorted) {
      String id = u.clientId();
      int n = replyCount.get(id);
      if (n > 1) {
        if (reportedDuplicates.add(id)) {
          allFailures.add(
              new ClientFailure(
                  id, ClientFailure.Kind.REJECTED, "sent " + n + " replies in one round"));
        }
        continue;
      }
      if (failedIds.contains(id)) {
        allFailures.add(
            new ClientFailure(
                id, ClientFailure.Kind.REJECTED, "replied but was also reported as failed"));
        continue;
      }
      ClientUpdate normalized;
      try {
        normalized = normalizeUpdate(state, round, u);
      } catch (IllegalArgumentException bad) {
        allFailures.add(new ClientFailure(id, ClientFailure.Kind.REJECTED, bad.getMessage()));
        continue;
      }
      Optional<String> reason = UpdateValidator.check(normalized, accepted);
      if (reason.isEmpty()) {
        reason = checkUpdate(state, round, normalized);
      }
      if (reason.isPresent()) {
        allFailures.add(new ClientFailure(id, ClientFailure.Kind.REJECTED, reason.get()));
      } else {
        ok.add(normalized);
      }
    }
    allFailures.sort(Comparator.comparing(ClientFailure::clientId));
    if (ok.size() < options.minClients() && !releasesEveryRound()) {
      throw new RoundFailedException(round, ok.size(), options.minClients(), allFailures);
    }

    RoundContext ctx = new RoundContext(state, round, ok);
    Map<String, HostTensor> targets = options.aggregator().aggregate(ctx);
    afterAggregate(ctx, targets);
    options.serverOptimizer().apply(state, targets, ctx.next());
    ServerState next = ctx.next().build();

    MetricMeans clientMeans = new MetricMeans();
    for (ClientUpdate u : ctx.updates()) {
      clientMeans.add(u.metrics(), u.numExamples());
    }
    Map<String, Double> metrics = new TreeMap<>(clientMeans.means());
    metrics.put("server.clients_accepted", (double) ok.size());
    metrics.put("server.clients_failed", (double) allFailures.size());
    metrics.put("server.tensors_updated", (double) targets.size());
    metrics.put("server.update_norm", changeNorm(state, next, targets.keySet()));
    metrics.putAll(ctx.metrics());
    List<String> okIds = ctx.updates().stream().map(ClientUpdate::clientId).toList();
    return new Aggregation(next, okIds, allFailures, metrics);
  }

  // ---------------------------------------------------------------- hooks

  /**
   * The tensors a client receives (for training and for evaluation). Default: every global tensor.
   */
  protected Map<String, HostTensor> downlink(ServerState state, String clientId) {
    return state.global();
  }

  /** The tensors a client receives for training. Default: {@link #downlink}. */
  protected Map<String, HostTensor> fitDownlink(ServerState state, String clientId) {
    return downlink(state, clientId);
  }

  /**
   * Config entries the strategy itself adds for a client (after the {@link ClientConfigurer}'s).
   * Default: none.
   */
  protected Map<String, String> strategyConfig(ServerState state, String clientId) {
    return Map.of();
  }

  /**
   * The update as validation and aggregation see it, computed from the update as the client sent
   * it. Default: the update itself. A strategy whose clients send tensors in shapes of their own
   * (rank-heterogeneous LoRA: A of k x in for a client of rank k) checks those shapes here and
   * returns the update in the global shapes.
   *
   * @throws IllegalArgumentException to reject the client, with the reason as the message
   */
  protected ClientUpdate normalizeUpdate(ServerState state, int round, ClientUpdate update) {
    return update;
  }

  /** The tensors a client may send, name to shape. Default: every global tensor. */
  protected Map<String, long[]> acceptedShapes(ServerState state) {
    return state.globalShapes();
  }

  /**
   * A strategy-specific check of an update that passed {@link UpdateValidator}. Default: none.
   *
   * @return the reason to reject, or empty
   */
  protected Optional<String> checkUpdate(ServerState state, int round, ClientUpdate update) {
    return Optional.empty();
  }

  /**
   * Checks the initial tensors given to {@link #initialize}. Default: none.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  protected void checkInitial(Map<String, HostTensor> initialGlobal) {}

  /**
   * Runs after the aggregator, before the server step; may write strategy state into {@code
   * context.next()} and metrics. Default: nothing.
   *
   * @param context the round
   * @param targets the aggregator's targets
   */
  protected void afterAggregate(RoundContext context, Map<String, HostTensor> targets) {}

  // ---------------------------------------------------------------- checks

  /** Refuses a state that another strategy owns. */
  protected final void requireOwned(ServerState state) {
    Objects.requireNonNull(state, "state");
    String owner = state.strategyName();
    if (owner != null && !owner.equals(name)) {
      throw new IllegalArgumentException(
          "the server state belongs to strategy '" + owner + "', not '" + name + "'");
    }
  }

  private static void requireNextRound(ServerState state, int round) {
    if (round != state.round() + 1) {
      throw new IllegalArgumentException(
          "the server state has completed round "
              + state.round()
              + ", so the next round is "
              + (state.round() + 1)
              + ", not "
              + round);
    }
  }

  private static void requireDistinct(List<String> clients) {
    Set<String> seen = new HashSet<>();
    for (String id : clients) {
      if (!seen.add(Objects.requireNonNull(id, "client id"))) {
        throw new IllegalArgumentException("client '" + id + "' is listed twice");
      }
    }
  }

  private static double changeNorm(ServerState before, ServerState after, Set<String> names) {
    double s = 0;
    for (String n : names) {
      float[] a = before.global().get(n).data();
      float[] b = after.global().get(n).data();
      for (int i = 0; i < a.length; i++) {
        double d = (double) b[i] - a[i];
        s += d * d;
      }
    }
    return Math.sqrt(s);
  }
}
