package org.fedpeft.federation;

import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.tensor.LowRank;

/**
 * HetLoRA (Cho et al. 2024, "Heterogeneous LoRA for Federated Fine-tuning of On-Device Foundation
 * Models", EMNLP 2024, arXiv 2401.06432): clients train LoRA of their own rank {@code r_c <= r_max}
 * on the truncated global factors; the server zero-pads every client's factors to r_max and
 * averages them. Ranks, truncation and the checks are {@link HeterogeneousLora}'s.
 *
 * <p><b>Aggregation</b> per LoRA module, over the clients c that sent it, with A_c and B_c
 * zero-padded to r_max:
 *
 * <pre>
 *   A = sum_c p_c A_c / sum_c p_c,   B = sum_c p_c B_c / sum_c p_c
 * </pre>
 *
 * <ul>
 *   <li>{@code aggregation = "sparsity"} (the paper's sparsity-weighted aggregation, the default):
 *       p_c = ||B_c A_c||_F, the Frobenius norm of the client's product for this module (unscaled:
 *       every client has the same scaling alpha / r_max); when every p_c is 0 the weights of {@code
 *       server.weighting} are used instead. {@code "mean"}: p_c from {@code server.weighting}
 *       (examples or uniform).
 *   <li>{@code padding = "zero"} (the paper's): component j (row j of A, column j of B) is divided
 *       by the sum over all senders, so a client of rank {@code r_c < j + 1} pulls it towards zero;
 *       when a round's senders all have lower ranks, the components above them become zero in A and
 *       B and stay so. {@code "keep"}: component j is averaged over the senders that trained it
 *       (r_c > j) and keeps its value when none did (a fedpeft variant, not the paper's).
 * </ul>
 *
 * <p><b>Self-pruning</b> ({@code prune = true}, decay {@code prune_gamma}): the strategy sends the
 * decay as config {@value LoraAdapter#PRUNE_KEY}; a client of rank k may send rank {@link
 * LoraAdapter#prunedRank}(k, gamma) instead of k (the client's rule is in {@link
 * LoraAdapter#uplink}); the server keeps each client's latest rank in its state ({@code
 * hetlora.rank.<client>}) and from then on assigns the smaller of it and the budget's rank. Round
 * metrics: {@code strategy.hetlora.rank.<client>} (the rank sent), {@code
 * strategy.hetlora.weight.<client>} (the client's share p_c / sum p, averaged over modules) and,
 * with pruning, {@code strategy.hetlora.pruned} (the clients that pruned this round).
 */
public final class HetLora extends HeterogeneousLora {

  /** The registry and state name. */
  public static final String NAME = "hetlora";

  private static final String RANK_STATE = "hetlora.rank.";

  /** The options of {@code server.strategy = "hetlora"}, as {@code server.hetlora.<option>}. */
  public static final ConfigSchema OPTIONS =
      new ConfigSchema()
          .key(
              "aggregation",
              Type.STRING,
              "sparsity",
              "weights of the zero-padded factor mean: sparsity (each client's ||B_c A_c||_F per"
                  + " module, the paper's) or mean (server.weighting)",
              v -> v.equals("sparsity") || v.equals("mean"),
              "sparsity or mean")
          .key(
              "padding",
              Type.STRING,
              "zero",
              "zero: a rank component is averaged over every sender, lower-rank ones counting as"
                  + " zero (the paper's); keep: over the senders that trained it, unchanged if none"
                  + " did",
              v -> v.equals("zero") || v.equals("keep"),
              "zero or keep")
          .key(
              "prune",
              Type.BOOLEAN,
              false,
              "rank self-pruning: a client whose last components shrank during local training"
                  + " sends and keeps rank floor(prune_gamma r_c)")
          .key(
              "prune_gamma",
              Type.DOUBLE,
              0.75,
              "self-pruning decay: the rank a pruning client keeps, as a fraction of its rank",
              v -> (double) v > 0 && (double) v < 1,
              "in (0, 1)");

  /**
   * HetLoRA's options.
   *
   * @param sparsityWeights {@code aggregation = "sparsity"}
   * @param zeroPadding {@code padding = "zero"}
   * @param prune whether clients self-prune
   * @param pruneGamma the decay, in (0, 1)
   */
  public record Config(
      boolean sparsityWeights, boolean zeroPadding, boolean prune, double pruneGamma) {

    /** The paper's: sparsity weights, zero padding, no pruning (gamma 0.75 if turned on). */
    public static final Config DEFAULT = fromOptions(Map.of());

    /** Reads {@link #OPTIONS}; absent options take their defaults. */
    public static Config fromOptions(Map<String, String> options) {
      ConfigValues v = OPTIONS.readOptions(options, "server." + NAME);
      return new Config(
          v.getString("aggregation").equals("sparsity"),
          v.getString("padding").equals("zero"),
          v.getBoolean("prune"),
          v.getDouble("prune_gamma"));
    }
  }

  private final Config config;

  /**
   * @param maxRank r_max, the adapter's LoRA rank
   * @param config HetLoRA's options
   * @param options shared settings; the aggregator must be a {@link WeightedMean}
   */
  public HetLora(int maxRank, Config config, StrategyOptions options) {
    super(NAME, maxRank, options, new Rule(config));
    this.config = config;
  }

  /** The options. */
  public Config config() {
    return config;
  }

  /**
   * The budget's rank, or with self-pruning the smaller of it and the client's latest rank in the
   * state.
   */
  @Override
  public int assignedRank(ServerState state, int round, String clientId) {
    int r = budgetRank(state, round, clientId);
    String kept = config.prune() ? state.extra().get(RANK_STATE + clientId) : null;
    return kept == null ? r : Math.min(r, Integer.parseInt(kept));
  }

  @Override
  protected boolean acceptsRank(int sent, int assigned) {
    return sent == assigned
        || (config.prune() && sent == LoraAdapter.prunedRank(assigned, config.pruneGamma()));
  }

  @Override
  protected Map<String, String> extraClientConfig() {
    return config.prune()
        ? Map.of(LoraAdapter.PRUNE_KEY, Double.toString(config.pruneGamma()))
        : Map.of();
  }

  /** With self-pruning, keeps each client's sent rank in the state. */
  @Override
  protected void afterAggregate(RoundContext context, Map<String, HostTensor> targets) {
    super.afterAggregate(context, targets);
    if (!config.prune()) {
      return;
    }
    int pruned = 0;
    for (ClientUpdate u : context.updates()) {
      if (!u.info().containsKey(RANK_INFO)) {
        continue;
      }
      int sent = rankOf(u);
      if (sent < assignedRank(context.previous(), context.round(), u.clientId())) {
        pruned++;
      }
      context.next().putExtra(RANK_STATE + u.clientId(), Integer.toString(sent));
    }
    context.putMetric("strategy." + NAME + ".pruned", pruned);
  }

  /** The zero-padded weighted mean of one module's factors. */
  private static final class Rule implements ModuleRule {
    private final Config config;

    Rule(Config config) {
      this.config = config;
    }

    @Override
    public HostTensor[] combine(
        HostTensor previousA, HostTensor previousB, List<Sent> senders, Map<String, Double> tally) {
      int r = (int) previousA.shape()[0];
      int in = (int) previousA.shape()[1];
      int out = (int) previousB.shape()[0];
      int n = senders.size();
      double[] p = new double[n];
      double sum = 0;
      if (config.sparsityWeights()) {
        for (int c = 0; c < n; c++) {
          Sent s = senders.get(c);
          p[c] = Math.sqrt(LowRank.productNormSquared(s.b(), s.a(), out, r, in, 0, r));
          sum += p[c];
        }
      }
      if (sum == 0) { // aggregation = mean, or every product is zero
        for (int c = 0; c < n; c++) {
          p[c] = senders.get(c).weight();
          sum += p[c];
        }
      }
      for (int c = 0; c < n; c++) {
        tally.merge("weight." + senders.get(c).update().clientId(), p[c] / sum, Double::sum);
        tally.merge("modules." + senders.get(c).update().clientId(), 1.0, Double::sum);
      }
      float[] a = previousA.data().clone();
      float[] b = previousB.data().clone();
      for (int j = 0; j < r; j++) {
        double den = 0;
        for (int c = 0; c < n; c++) {
          if (config.zeroPadding() || senders.get(c).rank() > j) {
            den += p[c];
          }
        }
        if (den == 0) {
          continue; // padding = keep and nobody trained component j
        }
        for (int col = 0; col < in; col++) {
          double v = 0;
          for (int c = 0; c < n; c++) {
            v += p[c] * senders.get(c).a()[j * in + col];
          }
          a[j * in + col] = (float) (v / den);
        }
        for (int o = 0; o < out; o++) {
          double v = 0;
          for (int c = 0; c < n; c++) {
            v += p[c] * senders.get(c).b()[o * r + j];
          }
          b[o * r + j] = (float) (v / den);
        }
      }
      return new HostTensor[] {
        new HostTensor(previousA.shape().clone(), a), new HostTensor(previousB.shape().clone(), b)
      };
    }

    @Override
    public void report(RoundContext context, Map<String, Double> tally) {
      for (var e : tally.entrySet()) {
        if (e.getKey().startsWith("weight.")) {
          String id = e.getKey().substring("weight.".length());
          context.putMetric(
              "strategy." + NAME + ".weight." + id, e.getValue() / tally.get("modules." + id));
        }
      }
    }
  }
}
