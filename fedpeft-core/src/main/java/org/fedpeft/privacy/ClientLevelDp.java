package org.fedpeft.privacy;

import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.federation.Aggregator;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.RoundContext;
import org.fedpeft.federation.ServerState;
import org.fedpeft.tensor.HostTensor;

/**
 * Client-level differential privacy for any strategy: DP-FedAvg (McMahan et al. 2018, "Learning
 * Differentially Private Recurrent Language Models", arXiv 1710.06963) as an {@link Aggregator}.
 *
 * <p>Each client's update {@code d_c = w_c - w} (over all tensors it sent) is clipped to L2 norm C;
 * the clipped updates are summed and divided by the FIXED expected number of clients per round m
 * (never the number that replied); Gaussian noise N(0, (z C / m)^2) is added per coordinate of
 * every global tensor, whether or not a client sent it this round (one that nobody sent is its
 * previous value plus noise, so which tensors the clients sent is hidden too); the target is {@code
 * w + that}. The accountant composes one subsampled Gaussian step per round with noise multiplier z
 * and sampling rate q: m / population under Poisson client sampling, 1 with fixed-size sampling
 * (below).
 *
 * <p>Under Poisson client sampling that analysis (amplification by subsampling) assumes a release
 * every round: the sum over the clients drawn, whoever they are and however many (none included),
 * plus the noise. So then {@link #releasesEveryRound} is true: the round driver skips no round that
 * drew few clients, the strategy fails none that received few valid updates ({@code
 * server.min_clients} has no say), and a round with no update releases the previous global plus
 * noise alone, charged as any other. With fixed-size sampling (q = 1) it is false and {@code
 * server.min_clients} applies as without DP.
 *
 * <p>Adaptive clipping (Andrew et al. 2021, "Differentially Private Learning with Adaptive
 * Clipping", arXiv 1905.03871), optional: {@code C <- C exp(-eta (b - gamma))} with b the noisy
 * fraction of UNCLIPPED updates (noise std sigma_b / m), gamma the target quantile. The count is
 * released too, so the update's noise multiplier becomes {@code z_d = (z^-2 - (2 sigma_b)^-2)^-1/2}
 * and the accountant is charged with the total z.
 *
 * <p>State in the server state's extra map: {@code dp.accountant} (JSON), {@code dp.clip_norm}.
 * With a budget, a round that would exceed it throws {@link BudgetExceededException} before any
 * noise is drawn, so nothing noisy is released and the previous state stays as it was; {@link
 * #checkRound} lets the strategy refuse it before the round is sent out, so that no client trains
 * or uploads for it.
 */
public final class ClientLevelDp implements Aggregator {

  /**
   * @param clipNorm initial clip norm C, positive
   * @param noiseMultiplier z, at least 0 (0: clipping only, no privacy)
   * @param expectedClients m, the fixed denominator, at least 1
   * @param population clients in the federation (q = m / population)
   * @param delta the delta of reported epsilons
   * @param epsilonBudget refuse rounds that would exceed this epsilon; 0 for no budget
   * @param adaptive whether to adapt C towards a quantile of update norms
   * @param targetQuantile gamma in (0, 1)
   * @param clipLearningRate eta, positive
   * @param countNoise sigma_b, the noise std of the unclipped count (adaptive only), positive
   * @param poissonSampling true only if clients are sampled by Poisson sampling (each independently
   *     with rate m / population): then the accountant uses q = m / population; otherwise (a
   *     fixed-size sample, as fedpeft's {@code ClientSampler} draws) it uses q = 1, no
   *     amplification, which is valid for any sampling
   */
  public record Config(
      double clipNorm,
      double noiseMultiplier,
      int expectedClients,
      int population,
      double delta,
      double epsilonBudget,
      boolean adaptive,
      double targetQuantile,
      double clipLearningRate,
      double countNoise,
      boolean poissonSampling) {

    /** Validates every field, naming the one that is wrong. */
    public Config {
      if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
        throw new IllegalArgumentException("clip_norm must be positive, got " + clipNorm);
      }
      if (!(noiseMultiplier >= 0) || !Double.isFinite(noiseMultiplier)) {
        throw new IllegalArgumentException("noise_multiplier must be >= 0, got " + noiseMultiplier);
      }
      if (expectedClients < 1 || population < expectedClients) {
        throw new IllegalArgumentException(
            "need 1 <= expected clients ("
                + expectedClients
                + ") <= population ("
                + population
                + ")");
      }
      if (!(delta > 0 && delta < 1)) {
        throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
      }
      if (!(epsilonBudget >= 0)) {
        throw new IllegalArgumentException("epsilon budget must be >= 0, got " + epsilonBudget);
      }
      if (adaptive) {
        if (!(targetQuantile > 0 && targetQuantile < 1)) {
          throw new IllegalArgumentException(
              "target_quantile must be in (0, 1), got " + targetQuantile);
        }
        if (!(clipLearningRate > 0)) {
          throw new IllegalArgumentException(
              "clip_learning_rate must be positive, got " + clipLearningRate);
        }
        if (!(countNoise > 0)) {
          throw new IllegalArgumentException("count_noise must be positive, got " + countNoise);
        }
        if (noiseMultiplier > 0 && 2 * countNoise <= noiseMultiplier) {
          throw new IllegalArgumentException(
              "adaptive clipping needs count_noise > noise_multiplier / 2 (got "
                  + countNoise
                  + " and "
                  + noiseMultiplier
                  + ")");
        }
      }
    }

    /** The sampling rate the accountant uses: m / population under Poisson sampling, else 1. */
    public double sampleRate() {
      return poissonSampling ? (double) expectedClients / population : 1.0;
    }

    /** How the reported epsilon treats client sampling, for summaries. */
    public String samplingNote() {
      return poissonSampling
          ? "Poisson client sampling, q = " + sampleRate()
          : "fixed-size client sampling: epsilon computed without amplification by sampling (q"
              + " = 1), which holds for any sampling";
    }

    /**
     * The noise multiplier of the update itself: z, or with adaptive clipping z_u = (z^-2 - (2
     * sigma_b)^-2)^-1/2, higher than z, as the clipped count's release takes part of the budget.
     */
    public double updateNoiseMultiplier() {
      if (!adaptive || noiseMultiplier == 0) {
        return noiseMultiplier;
      }
      return 1
          / Math.sqrt(1 / (noiseMultiplier * noiseMultiplier) - 1 / (4 * countNoise * countNoise));
    }

    /**
     * The expected L2 norm of the noise added to the averaged update of a model of {@code
     * coordinates} numbers, as a multiple of the clip norm C: the noise has std z_u C / m on each
     * coordinate ({@link #updateNoiseMultiplier}, m = {@code expectedClients}), so its norm is
     * about z_u C sqrt(d) / m; the ratio does not depend on C. The average of the clipped updates
     * has norm at most C, so above 1 the noise is larger than any averaged update.
     */
    public double noiseNormOverClipNorm(long coordinates) {
      return updateNoiseMultiplier() * Math.sqrt(coordinates) / expectedClients;
    }
  }

  /** Extra-state key of the accountant. */
  public static final String ACCOUNTANT_KEY = "dp.accountant";

  /** Extra-state key of the current clip norm. */
  public static final String CLIP_KEY = "dp.clip_norm";

  private final Config config;
  private final java.util.function.IntFunction<GaussianNoise> noiseForRound;

  /** With one noise source for every round (the secure default, or a test's seeded source). */
  public ClientLevelDp(Config config, GaussianNoise noise) {
    this(config, round -> noise);
  }

  /**
   * With a noise source per round: a seeded simulation keys its (non-private) noise on the round so
   * that a resumed run draws the same noise as an uninterrupted one.
   */
  public ClientLevelDp(Config config, java.util.function.IntFunction<GaussianNoise> noiseForRound) {
    this.config = config;
    this.noiseForRound = noiseForRound;
  }

  public Config config() {
    return config;
  }

  /**
   * True under Poisson client sampling ({@link Config#poissonSampling}): every round the budget
   * admits releases a noisy update and is charged, however many clients were drawn or replied.
   */
  @Override
  public boolean releasesEveryRound() {
    return config.poissonSampling();
  }

  @Override
  public String describe() {
    return "client-level DP (privacy.mode = \"client\")";
  }

  /** The accountant stored in a state (a fresh one before the first round). */
  public static RdpAccountant accountant(ServerState state) {
    String json = state.extra().get(ACCOUNTANT_KEY);
    return json == null ? new RdpAccountant() : RdpAccountant.fromJson(json);
  }

  /**
   * Refuses a round that would take epsilon above the budget. The decision depends only on the
   * previous state's accountant and the fixed (q, z) of every round, so the strategy asks before
   * the round is sent out ({@link org.fedpeft.federation.AbstractStrategy#configureRound}), and
   * {@link #aggregate} asks again with the same answer.
   *
   * @throws BudgetExceededException if one more round would exceed the budget
   */
  @Override
  public void checkRound(ServerState previous, int round) {
    if (config.epsilonBudget() > 0) {
      double q = config.sampleRate();
      double z = config.noiseMultiplier();
      PrivacySpent would = accountant(previous).privacySpentIfStep(q, z, 1, config.delta());
      if (would.epsilon() > config.epsilonBudget()) {
        throw new BudgetExceededException(
            config.epsilonBudget(),
            would,
            "round " + round + " (client-level DP, q=" + q + ", z=" + z + ")");
      }
    }
  }

  @Override
  public Map<String, HostTensor> aggregate(RoundContext ctx) {
    ServerState prev = ctx.previous();
    String storedClip = prev.extra().get(CLIP_KEY);
    double clip = storedClip == null ? config.clipNorm() : Double.parseDouble(storedClip);
    checkRound(prev, ctx.round());
    RdpAccountant acc = accountant(prev);
    double q = config.sampleRate();
    double z = config.noiseMultiplier();
    int m = config.expectedClients();
    GaussianNoise noise = noiseForRound.apply(ctx.round());
    Map<String, double[]> sums = new TreeMap<>();
    Map<String, long[]> shapes = new TreeMap<>();
    int unclipped = 0;
    for (ClientUpdate u : ctx.updates()) {
      double sq = 0;
      Map<String, double[]> deltas = new TreeMap<>();
      for (var e : u.tensors().entrySet()) {
        HostTensor cur = prev.global().get(e.getKey());
        float[] x = e.getValue().data();
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          d[i] = (double) x[i] - (cur == null ? 0 : cur.data()[i]);
          sq += d[i] * d[i];
        }
        deltas.put(e.getKey(), d);
        shapes.putIfAbsent(e.getKey(), e.getValue().shape());
      }
      double norm = Math.sqrt(sq);
      if (norm <= clip) {
        unclipped++;
      }
      double factor = norm > clip ? clip / norm : 1.0;
      for (var e : deltas.entrySet()) {
        double[] s = sums.computeIfAbsent(e.getKey(), k -> new double[e.getValue().length]);
        double[] d = e.getValue();
        for (int i = 0; i < d.length; i++) {
          s[i] += factor * d[i];
        }
      }
    }
    // Every global tensor is released with noise, also one that no client sent this round (a Ravan
    // head or FedBE block nobody trained, a task's head without a client this round): left exact,
    // it would show whether one client sent it, which no noise would hide.
    for (var e : prev.global().entrySet()) {
      if (!sums.containsKey(e.getKey())) {
        sums.put(e.getKey(), new double[e.getValue().data().length]);
        shapes.put(e.getKey(), e.getValue().shape());
      }
    }
    double std = config.updateNoiseMultiplier() * clip / m;
    Map<String, HostTensor> out = new TreeMap<>();
    for (var e : sums.entrySet()) {
      double[] s = e.getValue();
      double[] n = new double[s.length];
      if (std > 0) {
        noise.fill(n, std);
      }
      HostTensor cur = prev.global().get(e.getKey());
      float[] target = new float[s.length];
      for (int i = 0; i < s.length; i++) {
        target[i] = (float) ((cur == null ? 0 : cur.data()[i]) + s[i] / m + n[i]);
      }
      out.put(e.getKey(), new HostTensor(shapes.get(e.getKey()).clone(), target));
    }
    double nextClip = clip;
    if (config.adaptive()) {
      double b = (unclipped + noise.nextGaussian() * config.countNoise()) / m;
      nextClip = clip * Math.exp(-config.clipLearningRate() * (b - config.targetQuantile()));
      ctx.putMetric("dp_unclipped_fraction_noisy", b);
    }
    acc.step(q, z, 1);
    ctx.next().putExtra(ACCOUNTANT_KEY, acc.toJson());
    ctx.next().putExtra(CLIP_KEY, Double.toString(nextClip));
    ctx.putMetric("dp_epsilon", acc.getEpsilon(config.delta()));
    ctx.putMetric("dp_clip_norm", clip);
    return out;
  }
}
