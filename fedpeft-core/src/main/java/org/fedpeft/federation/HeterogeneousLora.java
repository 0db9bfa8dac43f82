package org.fedpeft.federation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.tensor.HostTensor;

/**
 * What the rank-heterogeneous LoRA strategies ({@link HetLora}, {@link FlexLora}) share: each
 * client trains LoRA of its own rank {@code r_c <= r_max}, and the server never averages factors of
 * different ranks as if they were alike.
 *
 * <p><b>Ranks.</b> The global LoRA factors have the adapter's rank r_max (A: r_max x in, B: out x
 * r_max). Client c, with compute budget b_c ({@link ConfigKeys#BUDGET} in its per-client config, 1
 * when absent), trains rank r_c = max(1, min(r_max, round(b_c r_max))) ({@link #rankForBudget}),
 * which a strategy may lower further ({@link #assignedRank}). The strategy sends r_c to the client
 * as config {@value LoraAdapter#RANK_KEY} and, for training, the global factors cut to rank r_c
 * ({@link #fitDownlink}); the client computes with those r_c components only, {@code (alpha /
 * r_max) B[:, :r_c] A[:r_c, :]}, and uploads {@code A[:r_c, :]} and {@code B[:, :r_c]} (see {@link
 * LoraAdapter}). Every client uses the scaling alpha / r_max, so every client's factors are on one
 * scale and a client's model is exactly the truncation of the global one.
 *
 * <p><b>Checks.</b> {@link #normalizeUpdate} accepts an update whose LoRA factors all have one rank
 * k (A: k x in, B: out x k) that the strategy accepts for the client's assigned rank (the assigned
 * rank itself, or a pruned one for HetLoRA), and zero-pads them to r_max for aggregation, recording
 * k in the update's info under {@value #RANK_INFO}. Anything else rejects the client. A and B of a
 * module must come together.
 *
 * <p><b>Aggregation.</b> Non-LoRA tensors (the classification head) take the weighted mean of
 * {@link StrategyOptions#aggregator()}, which must be a {@link WeightedMean} (client-level DP is
 * not supported). Each LoRA module's factors are combined by the strategy's {@link ModuleRule} from
 * the senders' zero-padded factors and ranks. Round metrics {@code strategy.<name>.rank.<client>}
 * record the rank each client sent.
 */
public abstract class HeterogeneousLora extends AbstractStrategy {

  /** The {@link ClientUpdate#info()} key under which {@link #normalizeUpdate} records the rank. */
  public static final String RANK_INFO = "lora_rank";

  private final int maxRank;

  /** One client's factors of one module, as a {@link ModuleRule} gets them. */
  protected record Sent(ClientUpdate update, double weight, int rank, float[] a, float[] b) {}

  /** How a strategy combines the factors of one LoRA module. */
  protected interface ModuleRule {
    /**
     * The new global factors of one module.
     *
     * @param previousA the global A before the round (r_max x in)
     * @param previousB the global B before the round (out x r_max)
     * @param senders the clients that sent the module, by client id, with their {@link
     *     StrategyOptions#aggregator()} weight, their rank and their factors zero-padded to r_max
     * @param tally sums over the round's modules, by name, for {@link #report}
     * @return {A, B} in the shapes of the previous ones
     */
    HostTensor[] combine(
        HostTensor previousA, HostTensor previousB, List<Sent> senders, Map<String, Double> tally);

    /** Turns the round's tally into round metrics. Default: nothing. */
    default void report(RoundContext context, Map<String, Double> tally) {}
  }

  /**
   * @param name the strategy's name
   * @param maxRank r_max, the adapter's LoRA rank
   * @param options shared settings; the aggregator must be a {@link WeightedMean}
   * @param rule how each module's factors are combined
   */
  protected HeterogeneousLora(String name, int maxRank, StrategyOptions options, ModuleRule rule) {
    super(name, withRule(name, options, rule));
    if (maxRank < 1) {
      throw new IllegalArgumentException(
          name + ": the LoRA rank must be at least 1, got " + maxRank);
    }
    this.maxRank = maxRank;
  }

  private static StrategyOptions withRule(String name, StrategyOptions options, ModuleRule rule) {
    if (!(options.aggregator() instanceof WeightedMean wm)) {
      throw new IllegalArgumentException(
          "server.strategy = \""
              + name
              + "\" cannot run with "
              + options.aggregator().describe()
              + ": it combines the clients' factors with its own weighted mean (client-level DP is"
              + " not supported)");
    }
    Weighting weighting = wm.weighting();
    return options.withAggregator(context -> aggregate(context, weighting, rule));
  }

  /** r_max. */
  public final int maxRank() {
    return maxRank;
  }

  /**
   * The rank of a client of budget b: max(1, min(r_max, round(b r_max))).
   *
   * @throws IllegalArgumentException if b is not in (0, 1]
   */
  public static int rankForBudget(double budget, int maxRank) {
    if (!(budget > 0 && budget <= 1)) {
      throw new IllegalArgumentException("a budget must be in (0, 1], got " + budget);
    }
    return Math.max(1, Math.min(maxRank, (int) Math.round(budget * maxRank)));
  }

  /** The rank of the client's budget in a round ({@link #rankForBudget}; budget 1 when absent). */
  protected final int budgetRank(ServerState state, int round, String clientId) {
    Map<String, String> cfg = options().clientConfig().configure(state, round, clientId);
    double b = ConfigKeys.getDouble(cfg, ConfigKeys.BUDGET, 1.0);
    if (!(b > 0 && b <= 1)) {
      throw new IllegalArgumentException(
          name() + ": client " + clientId + " has budget " + b + " in round " + round);
    }
    return rankForBudget(b, maxRank);
  }

  /**
   * The rank the client trains in a round (a pure function of the state, so aggregation can check
   * what the client sent). Default: {@link #budgetRank}.
   */
  public int assignedRank(ServerState state, int round, String clientId) {
    return budgetRank(state, round, clientId);
  }

  /** Whether a client assigned rank {@code assigned} may send factors of rank {@code sent}. */
  protected boolean acceptsRank(int sent, int assigned) {
    return sent == assigned;
  }

  /** Config the strategy sends every client besides its rank. Default: none. */
  protected Map<String, String> extraClientConfig() {
    return Map.of();
  }

  /** The client's rank for the next round under {@value LoraAdapter#RANK_KEY}, and extras. */
  @Override
  protected final Map<String, String> strategyConfig(ServerState state, String clientId) {
    Map<String, String> m = new TreeMap<>(extraClientConfig());
    m.put(LoraAdapter.RANK_KEY, Integer.toString(assignedRank(state, state.round() + 1, clientId)));
    return m;
  }

  /**
   * For training: the global tensors with each LoRA factor cut to the client's rank for the round
   * (A: its first r_c rows, B: its first r_c columns), the part the client computes with. The
   * client pads them back to r_max with zeros ({@link org.fedpeft.client.ModelFactory}), which
   * gives the same training and the same update as the full factors, since components r_c.. take no
   * part. Evaluation still receives the full global factors.
   */
  @Override
  protected Map<String, HostTensor> fitDownlink(ServerState state, String clientId) {
    int rank = assignedRank(state, state.round() + 1, clientId);
    Map<String, HostTensor> out = new TreeMap<>(super.fitDownlink(state, clientId));
    for (Map.Entry<String, HostTensor> e : out.entrySet()) {
      String n = e.getKey();
      if (LoraNames.isA(n) || LoraNames.isB(n)) {
        e.setValue(LoraNames.withRank(e.getValue(), LoraNames.isA(n), rank));
      }
    }
    return out;
  }

  @Override
  protected void checkInitial(Map<String, HostTensor> initialGlobal) {
    LoraShapes.check(initialGlobal, name());
    for (String module : LoraNames.modules(initialGlobal.keySet())) {
      long r = initialGlobal.get(module + LoraNames.A_SUFFIX).shape()[0];
      if (r != maxRank) {
        throw new IllegalArgumentException(
            name() + ": LoRA module '" + module + "' has rank " + r + ", expected " + maxRank);
      }
    }
  }

  @Override
  protected final ClientUpdate normalizeUpdate(ServerState state, int round, ClientUpdate update) {
    Integer sent = null;
    String first = null;
    Map<String, HostTensor> padded = new TreeMap<>();
    for (Map.Entry<String, HostTensor> e : update.tensors().entrySet()) {
      String n = e.getKey();
      HostTensor t = e.getValue();
      HostTensor g = state.global().get(n);
      boolean isA = LoraNames.isA(n);
      if (g == null || !(isA || LoraNames.isB(n))) {
        padded.put(n, t);
        continue;
      }
      long[] gs = g.shape();
      long[] ts = t.shape();
      boolean fits =
          ts.length == 2
              && (isA
                  ? ts[1] == gs[1] && ts[0] >= 1 && ts[0] <= gs[0]
                  : ts[0] == gs[0] && ts[1] >= 1 && ts[1] <= gs[1]);
      if (!fits) {
        throw new IllegalArgumentException(
            "tensor '"
                + n
                + "' has shape "
                + Wire.shape(ts)
                + ", expected "
                + (isA ? "[k, " + gs[1] + "]" : "[" + gs[0] + ", k]")
                + " with 1 <= k <= "
                + maxRank);
      }
      int k = (int) (isA ? ts[0] : ts[1]);
      if (sent == null) {
        sent = k;
        first = n;
      } else if (k != sent) {
        throw new IllegalArgumentException(
            "sent LoRA factors of rank " + sent + " ('" + first + "') and " + k + " ('" + n + "')");
      }
      padded.put(n, LoraNames.withRank(t, isA, (int) (isA ? gs[0] : gs[1])));
    }
    if (sent == null) {
      return update;
    }
    int assigned = assignedRank(state, round, update.clientId());
    if (!acceptsRank(sent, assigned)) {
      throw new IllegalArgumentException(
          "sent LoRA factors of rank " + sent + ", but its rank this round is " + assigned);
    }
    Map<String, String> info = new TreeMap<>(update.info());
    info.put(RANK_INFO, Integer.toString(sent));
    return new ClientUpdate(
        update.clientId(), padded, update.numExamples(), update.metrics(), info);
  }

  /** The rank a normalized update carries. */
  protected static int rankOf(ClientUpdate u) {
    String k = u.info().get(RANK_INFO);
    if (k == null) {
      throw new IllegalStateException("update of " + u.clientId() + " has no " + RANK_INFO);
    }
    return Integer.parseInt(k);
  }

  @Override
  protected Optional<String> checkUpdate(ServerState state, int round, ClientUpdate update) {
    return LoraNames.unpaired(update.tensors().keySet()).map(s -> "sent LoRA factor " + s);
  }

  /** Records {@code strategy.<name>.rank.<client>} for every accepted client. */
  @Override
  protected void afterAggregate(RoundContext context, Map<String, HostTensor> targets) {
    for (ClientUpdate u : context.updates()) {
      if (u.info().containsKey(RANK_INFO)) {
        context.putMetric("strategy." + name() + ".rank." + u.clientId(), rankOf(u));
      }
    }
  }

  /** The weighted mean of every tensor, then each LoRA module's factors replaced by the rule's. */
  private static Map<String, HostTensor> aggregate(
      RoundContext context, Weighting weighting, ModuleRule rule) {
    Map<String, HostTensor> previous = context.previous().global();
    Map<String, HostTensor> targets =
        new TreeMap<>(WeightedMean.mean(previous, context.updates(), weighting));
    Map<String, Double> tally = new TreeMap<>();
    for (String module : LoraNames.modules(targets.keySet())) {
      String aName = module + LoraNames.A_SUFFIX;
      String bName = module + LoraNames.B_SUFFIX;
      List<Sent> senders = new ArrayList<>();
      for (ClientUpdate u : context.updates()) { // sorted by client id
        HostTensor a = u.tensors().get(aName);
        HostTensor b = u.tensors().get(bName);
        if (a != null && b != null) {
          senders.add(new Sent(u, weighting.weightOf(u), rankOf(u), a.data(), b.data()));
        }
      }
      if (senders.isEmpty()) {
        targets.remove(aName);
        targets.remove(bName);
        continue;
      }
      HostTensor[] ab = rule.combine(previous.get(aName), previous.get(bName), senders, tally);
      targets.put(aName, ab[0]);
      targets.put(bName, ab[1]);
    }
    rule.report(context, tally);
    return targets;
  }
}
