package org.fedpeft.peft.expansion;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedpeft.federation.AbstractStrategy;
import org.fedpeft.federation.Aggregation;
import org.fedpeft.federation.ClientFailure;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.ConfigKeys;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.federation.RoundContext;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.Strategy;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.federation.StrategyProvider;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;
import org.fedpeft.tensor.HostTensor;

/**
 * FedBE's server: FedAvg over the new blocks plus a per-round allocation of blocks to clients.
 *
 * <p><b>Allocation.</b> Client c, with capacity b_c in (0, 1] (its {@link ConfigKeys#BUDGET} in the
 * per-client config, 1 when absent), trains n_c = ceil(m b_c) of the m blocks (at least 1). It
 * receives every block (all run in its forward pass) and the list of its blocks under {@link
 * ExpansionAdapter#BLOCKS_KEY}. Which blocks depends on {@link ExpansionConfig#allocation()}:
 *
 * <ul>
 *   <li>{@code coverage} (default): each block carries a coverage count, decayed by {@code
 *       coverage_decay} every round and increased by one per client that trained it, kept in the
 *       server state. A client gets the n_c blocks of lowest score {@code coverage_j + depth_weight
 *       * |target_c - j / (m - 1)|}, where target_c in [0, 1] is the rank of the client's label
 *       skew among this round's clients whose skew is known (the most skewed gets 1, the deepest
 *       block; the least skewed 0). Skew is the total-variation distance between the client's label
 *       histogram and the sum of every histogram the server holds. Clients are served in decreasing
 *       skew (unknown last, then by id), each assignment counting as coverage for the clients
 *       served after it, so one round spreads its clients over the blocks. Blocks of equal score
 *       are ordered by a draw from the client's round seed (never blocks whose scores differ,
 *       however little).
 *   <li>{@code random}: n_c blocks drawn uniformly from the client's round seed.
 *   <li>{@code fixed}: n_c consecutive blocks (cyclically) from a start drawn from the client's
 *       round-1 seed: the same blocks every round.
 * </ul>
 *
 * <p>Every rule is a function of (state, round, sampled clients, their per-client config), so a
 * resumed run assigns the same blocks. The client's round seed is its {@link ConfigKeys#SEED}
 * (derived from the run seed, the round and the client).
 *
 * <p><b>Label histograms.</b> With {@code coverage}, the server asks each client (config {@link
 * ConfigKeys#REPORT_LABEL_COUNTS}) to report its training label counts as update metrics {@code
 * label_count.<k>}, and keeps each client's latest histogram in its state. This reveals to the
 * server how many training examples of each label every client holds: its exact label distribution
 * and its size (the size is revealed by FedAvg's example weighting anyway). Clients under
 * sample-level DP do not report it, and under client-level DP the server does not ask (one client's
 * histogram would steer which blocks the others train, beyond what clipping each client's update
 * bounds); with no histograms the rule is coverage only. Choose {@code random} or {@code fixed} to
 * reveal nothing beyond FedAvg.
 *
 * <p><b>Aggregation.</b> {@link StrategyOptions#aggregator()} per tensor over the clients that sent
 * it (by default the example-weighted mean): each block is averaged over the clients that trained
 * it this round; a block nobody trained keeps its value.
 *
 * <p><b>Record.</b> Round metrics {@code strategy.fedbe.blocks.<client>} (the blocks the client
 * sent as a bit mask, bit j for block j) and {@code strategy.fedbe.coverage.<j>}, which the
 * simulation writes to metrics.jsonl under {@code strategy}.
 */
public final class FedBeStrategy implements Strategy {

  /** The registry and state name. */
  public static final String NAME = "fedbe";

  private static final String COVERAGE = "fedbe.coverage";
  private static final String LABELS = "fedbe.labels.";
  private static final String LABEL_METRIC = "label_count.";

  private final ExpansionConfig config;
  private final int m;
  private final Core core;

  /** Whether the clients are asked for their label counts (coverage, without client-level DP). */
  private final boolean askHistograms;

  /**
   * @param config the run's FedBE options (blocks and allocation)
   * @param options shared strategy settings
   */
  public FedBeStrategy(ExpansionConfig config, StrategyOptions options) {
    this.config = config;
    this.m = config.blocks();
    this.core = new Core(options);
    // Under client-level DP one client's histogram would steer the blocks other clients train,
    // an influence on their updates that clipping each client's own update does not bound.
    this.askHistograms =
        config.allocation().equals("coverage")
            && !(options.aggregator() instanceof org.fedpeft.privacy.ClientLevelDp);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int minClients() {
    return core.minClients();
  }

  @Override
  public boolean releasesEveryRound() {
    return core.releasesEveryRound();
  }

  @Override
  public ServerState initialize(Map<String, HostTensor> initialGlobal) {
    return core.initialize(initialGlobal);
  }

  @Override
  public Map<String, FitInstructions> configureRound(
      ServerState state, int round, List<String> sampledClients) {
    Map<String, FitInstructions> base = core.configureRound(state, round, sampledClients);
    Map<String, Set<Integer>> assignment = assign(state, round, sampledClients);
    Map<String, FitInstructions> out = new LinkedHashMap<>();
    for (var e : base.entrySet()) {
      FitInstructions in = e.getValue();
      Map<String, String> cfg = new TreeMap<>(in.config());
      cfg.put(
          ExpansionAdapter.BLOCKS_KEY, ExpansionAdapter.formatBlocks(assignment.get(e.getKey())));
      if (askHistograms) {
        cfg.put(ConfigKeys.REPORT_LABEL_COUNTS, "true");
      }
      out.put(e.getKey(), new FitInstructions(in.clientId(), in.round(), in.tensors(), cfg));
    }
    return Collections.unmodifiableMap(out);
  }

  @Override
  public Aggregation aggregate(
      ServerState state, int round, List<ClientUpdate> replies, List<ClientFailure> failures) {
    return core.aggregate(state, round, replies, failures);
  }

  @Override
  public Map<String, EvaluateInstructions> configureEvaluate(
      ServerState state, List<String> clients) {
    return core.configureEvaluate(state, clients);
  }

  @Override
  public Map<String, Double> aggregateEvaluate(ServerState state, List<EvaluateResult> results) {
    return core.aggregateEvaluate(state, results);
  }

  // ---------------------------------------------------------------- allocation

  /**
   * The blocks each sampled client trains in {@code round}, as {@link #configureRound} sends them.
   */
  public Map<String, Set<Integer>> assign(
      ServerState state, int round, List<String> sampledClients) {
    Map<String, Set<Integer>> out = new LinkedHashMap<>();
    switch (config.allocation()) {
      case "random" -> {
        for (String id : sampledClients) {
          SeededRandom rng = new SeededRandom(clientSeed(state, round, id, "fedbe-random"));
          int[] perm = rng.permutation(m);
          Set<Integer> s = new TreeSet<>();
          for (int i = 0; i < count(state, round, id); i++) {
            s.add(perm[i]);
          }
          out.put(id, s);
        }
      }
      case "fixed" -> {
        for (String id : sampledClients) {
          int start = new SeededRandom(clientSeed(state, 1, id, "fedbe-fixed")).nextInt(m);
          Set<Integer> s = new TreeSet<>();
          for (int i = 0; i < count(state, round, id); i++) {
            s.add((start + i) % m);
          }
          out.put(id, s);
        }
      }
      default -> out.putAll(coverageAssignment(state, round, sampledClients));
    }
    Map<String, Set<Integer>> ordered = new LinkedHashMap<>();
    for (String id : sampledClients) {
      ordered.put(id, Collections.unmodifiableSet(out.get(id)));
    }
    return ordered;
  }

  private Map<String, Set<Integer>> coverageAssignment(
      ServerState state, int round, List<String> clients) {
    double[] cover = coverage(state);
    Map<String, long[]> hists = histograms(state);
    long[] global = null;
    for (long[] h : hists.values()) {
      if (global == null) {
        global = new long[h.length];
      }
      for (int k = 0; k < Math.min(h.length, global.length); k++) {
        global[k] += h[k];
      }
    }
    Map<String, Double> skew = new TreeMap<>();
    for (String id : clients) {
      long[] h = hists.get(id);
      if (h != null && global != null) {
        skew.put(id, totalVariation(h, global));
      }
    }
    // Depth targets: the rank of each known skew among this round's clients, scaled to [0, 1].
    List<String> known = new ArrayList<>(skew.keySet());
    known.sort(Comparator.comparing((String id) -> skew.get(id)).thenComparing(id -> id));
    Map<String, Double> target = new TreeMap<>();
    for (int i = 0; i < known.size(); i++) {
      target.put(known.get(i), known.size() == 1 ? 0.5 : (double) i / (known.size() - 1));
    }
    List<String> order = new ArrayList<>(clients);
    order.sort(
        Comparator.comparing((String id) -> -skew.getOrDefault(id, -1.0)).thenComparing(id -> id));
    double[] provisional = cover.clone();
    Map<String, Set<Integer>> out = new TreeMap<>();
    for (String id : order) {
      SeededRandom rng = new SeededRandom(clientSeed(state, round, id, "fedbe-coverage"));
      Double t = target.get(id);
      double[] score = new double[m];
      double[] tieBreak = new double[m];
      Integer[] idx = new Integer[m];
      for (int j = 0; j < m; j++) {
        double depth = m == 1 ? 0 : (double) j / (m - 1);
        score[j] = provisional[j] + (t == null ? 0 : config.depthWeight() * Math.abs(t - depth));
        tieBreak[j] = rng.nextDouble();
        idx[j] = j;
      }
      // The seeded draw only orders blocks of equal score, however small the score's differences
      // (a small depth_weight, coverage decayed over many rounds).
      java.util.Arrays.sort(
          idx,
          Comparator.comparingDouble((Integer j) -> score[j])
              .thenComparingDouble(j -> tieBreak[j]));
      Set<Integer> s = new TreeSet<>();
      for (int i = 0; i < count(state, round, id); i++) {
        s.add(idx[i]);
        provisional[idx[i]] += 1;
      }
      out.put(id, s);
    }
    return out;
  }

  /** Total-variation distance between two histograms' distributions, in [0, 1]. */
  static double totalVariation(long[] a, long[] b) {
    int n = Math.max(a.length, b.length);
    double sa = 0;
    double sb = 0;
    for (long v : a) {
      sa += v;
    }
    for (long v : b) {
      sb += v;
    }
    if (sa == 0 || sb == 0) {
      return 0;
    }
    double d = 0;
    for (int k = 0; k < n; k++) {
      double pa = k < a.length ? a[k] / sa : 0;
      double pb = k < b.length ? b[k] / sb : 0;
      d += Math.abs(pa - pb);
    }
    return d / 2;
  }

  /** n_c = {@link #blocksForBudget}(m, b_c) for the client's budget b_c (1 when absent). */
  private int count(ServerState state, int round, String id) {
    Map<String, String> cfg = core.options().clientConfig().configure(state, round, id);
    double b = ConfigKeys.getDouble(cfg, ConfigKeys.BUDGET, 1.0);
    if (!(b > 0 && b <= 1)) {
      throw new IllegalArgumentException(
          "fedbe: client " + id + " has budget " + b + " in round " + round + "; need (0, 1]");
    }
    return blocksForBudget(m, b);
  }

  /**
   * How many of the {@code m} blocks a client of budget {@code budget} in (0, 1] trains, and so
   * sends, per round: ceil(m budget) (a product within 1e-9 above an integer rounds down to it), at
   * least 1 and at most m. Which blocks depends on the allocation; every block has the same
   * tensors, so the count alone gives a client's upload.
   */
  public static int blocksForBudget(int m, double budget) {
    return Math.max(1, Math.min(m, (int) Math.ceil(m * budget - 1e-9)));
  }

  private long clientSeed(ServerState state, int round, String id, String purpose) {
    Map<String, String> cfg = core.options().clientConfig().configure(state, round, id);
    long s = ConfigKeys.getLong(cfg, ConfigKeys.SEED, Seeds.derive(0, "fedbe", round));
    return Seeds.derive(s, purpose, Seeds.key(id));
  }

  /** The coverage counts of the blocks in a state (zeros before the first round). */
  public double[] coverage(ServerState state) {
    double[] c = new double[m];
    String raw = state.extra().get(COVERAGE);
    if (raw != null) {
      String[] parts = raw.split(",");
      if (parts.length != m) {
        throw new IllegalArgumentException(
            "fedbe: server state has coverage for " + parts.length + " blocks, expected " + m);
      }
      for (int j = 0; j < m; j++) {
        c[j] = Double.parseDouble(parts[j]);
      }
    }
    return c;
  }

  /** The label histograms the server holds, by client id. */
  public Map<String, long[]> histograms(ServerState state) {
    Map<String, long[]> out = new TreeMap<>();
    for (var e : state.extra().entrySet()) {
      if (e.getKey().startsWith(LABELS)) {
        String[] parts = e.getValue().split(",");
        long[] h = new long[parts.length];
        for (int k = 0; k < parts.length; k++) {
          h[k] = Long.parseLong(parts[k]);
        }
        out.put(e.getKey().substring(LABELS.length()), h);
      }
    }
    return out;
  }

  /** The new block a tensor belongs to, or -1 (the head). */
  static int blockOf(String tensorName) {
    if (!tensorName.startsWith("fedbe.")) {
      return -1;
    }
    int dot = tensorName.indexOf('.', 6);
    return Integer.parseInt(tensorName.substring(6, dot));
  }

  /** The averaging skeleton with FedBE's state update after aggregation. */
  private final class Core extends AbstractStrategy {
    Core(StrategyOptions options) {
      super(NAME, options);
    }

    @Override
    protected void afterAggregate(RoundContext ctx, Map<String, HostTensor> targets) {
      double[] cover = coverage(ctx.previous());
      for (int j = 0; j < m; j++) {
        cover[j] *= config.coverageDecay();
      }
      for (ClientUpdate u : ctx.updates()) {
        Set<Integer> trained = new TreeSet<>();
        for (String name : u.tensors().keySet()) {
          int j = blockOf(name);
          if (j >= 0) {
            trained.add(j);
          }
        }
        long mask = 0;
        for (int j : trained) {
          cover[j] += 1;
          mask |= 1L << j;
        }
        ctx.putMetric("strategy.fedbe.blocks." + u.clientId(), (double) mask);
        List<String> counts = new ArrayList<>();
        for (int k = 0; u.metrics().containsKey(LABEL_METRIC + k); k++) {
          counts.add(Long.toString(Math.round(u.metrics().get(LABEL_METRIC + k))));
        }
        if (!counts.isEmpty()) {
          ctx.next().putExtra(LABELS + u.clientId(), String.join(",", counts));
        }
      }
      List<String> c = new ArrayList<>();
      for (int j = 0; j < m; j++) {
        c.add(Double.toString(cover[j]));
        ctx.putMetric("strategy.fedbe.coverage." + j, cover[j]);
      }
      ctx.next().putExtra(COVERAGE, String.join(",", c));
    }
  }

  /** Registers {@code server.strategy = "fedbe"}; needs {@code adapter.method = "fedbe"}. */
  public static final class Provider implements StrategyProvider {
    @Override
    public String name() {
      return NAME;
    }

    @Override
    public String description() {
      return "FedBE: each client trains the expansion blocks the server allocates (coverage,"
          + " random or fixed; n_c = ceil(m budget_c)); each block averaged over its trainers";
    }

    /** Client c trains ceil(m budget_c) of the m blocks. */
    @Override
    public boolean usesBudgets() {
      return true;
    }

    /** Not with one block (adapter.blocks = 1): every client trains ceil(budget_c) = 1 block. */
    @Override
    public boolean usesBudgets(String adapterMethod, Map<String, String> adapterOptions) {
      if (!ExpansionMethod.NAME.equals(adapterMethod)) {
        return true; // refused by requireAdapter (with the config), with its own message
      }
      try {
        return ExpansionConfig.fromOptions(adapterOptions).blocks() > 1;
      } catch (IllegalArgumentException e) {
        return true; // bad options: their own error is the one to report
      }
    }

    @Override
    public void requireAdapter(String adapterMethod, Map<String, String> adapterOptions) {
      if (!ExpansionMethod.NAME.equals(adapterMethod)) {
        throw new IllegalArgumentException(
            "server.strategy = fedbe needs adapter.method = fedbe, got "
                + (adapterMethod == null ? "none" : adapterMethod));
      }
    }

    @Override
    public Strategy create(Context c) {
      requireAdapter(c.adapterMethod(), c.adapterOptions());
      return new FedBeStrategy(ExpansionConfig.fromOptions(c.adapterOptions()), c.options());
    }
  }
}
