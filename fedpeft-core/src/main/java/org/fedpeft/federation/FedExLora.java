package org.fedpeft.federation;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedpeft.tensor.HostTensor;

/**
 * FedEx-LoRA (Singhal, Ponkshe and Vepakomma 2025, "FedEx-LoRA: Exact Aggregation for Federated and
 * Efficient Fine-Tuning of Foundation Models", ACL 2025, arXiv 2410.09432): FedIT plus a correction
 * that makes the aggregate exact.
 *
 * <p>Averaging the factors separately gives {@code B' A'} with {@code A' = mean_c A_c}, {@code B' =
 * mean_c B_c}, whereas the average of the clients' updates is {@code mean_c B_c A_c}. Per LoRA
 * module, with scaling {@code s = alpha / r}, the server adds the difference to a dense residual:
 *
 * <pre>
 *   R_t = R_{t-1} + s (mean_c B_c A_c - B' A')        (out x in)
 * </pre>
 *
 * using the same weights as the factor means, over the clients that sent the module, and the
 * float32 A', B' that become the new global factors. Then {@code W + R_t + s B' A' = W + R_{t-1} +
 * s mean_c B_c A_c}: the clients' average model, exactly up to float rounding.
 *
 * <p><b>Client contract.</b> The instructions carry, next to the global tensors, one tensor {@code
 * <module>.residual} (out x in, float32) per module that has one, holding the <em>accumulated</em>
 * total R_t since round 0, already multiplied by alpha / r. A client sets the frozen weight of that
 * module to {@code W_pretrained + residual} (replacing, not adding to, what it used in an earlier
 * round; a client that missed rounds is therefore still right), then trains A and B from the
 * received A', B' as usual, with {@code y = (W + R) x + s B A x}. A module without a residual
 * tensor has R = 0 (round 1). The merged model at the end is {@code W + R + s B' A'} per module.
 * The residual is state of the server ({@code strategyTensors}, same names), not a GLOBAL tensor:
 * clients never send it, and an update carrying it is rejected.
 *
 * <p>Requires the {@link WeightedMean} aggregator and plain FedAvg with server learning rate 1 (the
 * exactness argument does not hold for a server optimiser step), and each update to carry A and B
 * of a module together.
 */
public final class FedExLora extends AbstractStrategy {

  private final double scaling;
  private final Weighting weighting;

  /**
   * @param scaling the LoRA scaling alpha / r, as the clients apply it (positive)
   * @param options shared settings; the aggregator must be a {@link WeightedMean} and the server
   *     optimizer plain FedAvg with learning rate 1
   */
  public FedExLora(double scaling, StrategyOptions options) {
    super("fedex_lora", options);
    if (!(scaling > 0) || !Double.isFinite(scaling)) {
      throw new IllegalArgumentException("fedex_lora: scaling must be positive, got " + scaling);
    }
    if (!(options.aggregator() instanceof WeightedMean wm)) {
      throw new IllegalArgumentException(
          "server.strategy = \"fedex-lora\" cannot run with "
              + options.aggregator().describe()
              + ": its residual needs the plain weighted mean of the clients' factors");
    }
    if (!options.serverOptimizer().isIdentity()) {
      throw new IllegalArgumentException(
          "fedex_lora: the residual is exact only with plain FedAvg at server learning rate 1, got "
              + options.serverOptimizer().describe());
    }
    this.scaling = scaling;
    this.weighting = wm.weighting();
  }

  /** The LoRA scaling alpha / r. */
  public double scaling() {
    return scaling;
  }

  /** The accumulated residuals of a state, by {@code <module>.residual} name. */
  public static SortedMap<String, HostTensor> residuals(ServerState state) {
    TreeMap<String, HostTensor> out = new TreeMap<>();
    state
        .strategyTensors()
        .forEach(
            (k, v) -> {
              if (k.endsWith(LoraNames.RESIDUAL_SUFFIX)) {
                out.put(k, v);
              }
            });
    return out;
  }

  @Override
  protected void checkInitial(Map<String, HostTensor> initialGlobal) {
    LoraShapes.check(initialGlobal, name());
    for (String n : initialGlobal.keySet()) {
      if (n.endsWith(LoraNames.RESIDUAL_SUFFIX)) {
        throw new IllegalArgumentException(
            name() + ": global tensor '" + n + "' clashes with the residual naming");
      }
    }
  }

  @Override
  protected Map<String, HostTensor> downlink(ServerState state, String clientId) {
    TreeMap<String, HostTensor> out = new TreeMap<>(state.global());
    out.putAll(residuals(state));
    return out;
  }

  @Override
  protected Optional<String> checkUpdate(ServerState state, int round, ClientUpdate update) {
    return LoraNames.unpaired(update.tensors().keySet()).map(s -> "sent LoRA factor " + s);
  }

  @Override
  protected void afterAggregate(RoundContext context, Map<String, HostTensor> targets) {
    double incrementSq = 0;
    for (String module : LoraNames.modules(targets.keySet())) {
      String aName = module + LoraNames.A_SUFFIX;
      String bName = module + LoraNames.B_SUFFIX;
      HostTensor meanA = targets.get(aName);
      HostTensor meanB = targets.get(bName);
      if (meanA == null || meanB == null) {
        throw new IllegalStateException(
            "fedex_lora: module '" + module + "' has a target for only one factor");
      }
      int r = (int) meanA.shape()[0];
      int in = (int) meanA.shape()[1];
      int out = (int) meanB.shape()[0];
      double[] meanProduct = new double[out * in];
      double totalWeight = 0;
      List<ClientUpdate> senders =
          context.updates().stream().filter(u -> u.tensors().containsKey(aName)).toList();
      for (ClientUpdate u : senders) {
        double w = weighting.weightOf(u);
        totalWeight += w;
        addProduct(
            meanProduct,
            w,
            u.tensors().get(bName).data(),
            u.tensors().get(aName).data(),
            out,
            r,
            in);
      }
      double[] product = new double[out * in];
      addProduct(product, 1.0, meanB.data(), meanA.data(), out, r, in);

      String rName = module + LoraNames.RESIDUAL_SUFFIX;
      HostTensor old = context.previous().strategyTensors().get(rName);
      if (old != null
          && (old.shape().length != 2 || old.shape()[0] != out || old.shape()[1] != in)) {
        throw new IllegalArgumentException(
            "fedex_lora: residual '"
                + rName
                + "' in the state has shape "
                + Wire.shape(old.shape())
                + ", expected ["
                + out
                + ", "
                + in
                + "]");
      }
      float[] updated = new float[out * in];
      for (int j = 0; j < updated.length; j++) {
        double inc = scaling * (meanProduct[j] / totalWeight - product[j]);
        incrementSq += inc * inc;
        updated[j] = (float) ((old == null ? 0.0 : old.data()[j]) + inc);
      }
      context.next().putStrategyTensor(rName, new HostTensor(new long[] {out, in}, updated));
    }
    context.putMetric("fedex.residual_increment_norm", Math.sqrt(incrementSq));
  }

  /** acc += w * B A for B (out x r) and A (r x in), row-major, in double. */
  private static void addProduct(
      double[] acc, double w, float[] b, float[] a, int out, int r, int in) {
    for (int o = 0; o < out; o++) {
      for (int k = 0; k < r; k++) {
        double bok = w * b[o * r + k];
        if (bok == 0) {
          continue;
        }
        int aRow = k * in;
        int accRow = o * in;
        for (int i = 0; i < in; i++) {
          acc[accRow + i] += bok * a[aRow + i];
        }
      }
    }
  }
}
