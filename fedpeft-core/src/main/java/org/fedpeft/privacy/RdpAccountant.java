package org.fedpeft.privacy;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.fedpeft.io.JsonFiles;

/**
 * Renyi differential privacy (RDP) accountant for the Poisson-subsampled Gaussian mechanism, with
 * add/remove-one neighbouring datasets, composed over steps that may each use a different sampling
 * rate and noise multiplier.
 *
 * <h2>The mechanism and its RDP</h2>
 *
 * <p>One step samples each record independently with probability {@code q}, sums the clipped
 * contributions (sensitivity 1 after dividing by the clipping norm) and adds {@code N(0, sigma^2)}
 * per coordinate. Following Mironov, Talwar and Zhang, <i>Renyi Differential Privacy of the Sampled
 * Gaussian Mechanism</i> (2019, <a href="https://arxiv.org/abs/1908.10530">arXiv:1908.10530</a>),
 * its RDP at order {@code alpha > 1} is {@code eps(alpha) = log(A_alpha) / (alpha - 1)} with
 *
 * <pre>
 *   A_alpha = E_{z ~ mu0} [ ((1 - q) + q mu1(z) / mu0(z))^alpha ],
 *   mu0 = N(0, sigma^2),  mu1 = N(1, sigma^2).
 * </pre>
 *
 * <ul>
 *   <li><b>Integer alpha</b>: the exact binomial expansion
 *       <pre>
 *       A_alpha = sum_{k=0..alpha} C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / (2 sigma^2)).
 *       </pre>
 *       Because {@code sum_k C(alpha, k) (1 - q)^(alpha - k) q^k = 1}, this is evaluated as {@code
 *       log A = log1p(sum_{k>=2} C(alpha, k) (1 - q)^(alpha - k) q^k expm1((k^2 - k) / (2
 *       sigma^2)))}, a log-sum-exp of positive terms; that keeps full relative precision when
 *       {@code A} is close to 1 (small q) and makes {@code log A >= 0} hold by construction.
 *   <li><b>Fractional alpha</b> (section 3.3): splitting the integral at {@code z0 = sigma^2 ln(1/q
 *       - 1) + 1/2} gives two series (the formulation used by TF-Privacy and Opacus)
 *       <pre>
 * A_alpha = sum_{i>=0} C(alpha, i) [ q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2)) erfc((i - z0) / (sqrt(2) sigma)) / 2
 *                                  + q^j (1-q)^(alpha-j) exp((j^2 - j) / (2 sigma^2)) erfc((z0 - j) / (sqrt(2) sigma)) / 2 ],
 * j = alpha - i.</pre>
 *       For {@code i > alpha} the generalised binomial coefficient alternates in sign and both
 *       bracketed terms decrease strictly in magnitude (the factor {@code exp(...) erfc(...)}
 *       decreases because the inverse Mills ratio of the normal exceeds its argument), so the
 *       series is alternating with decreasing terms and the error after a term is smaller than that
 *       term. The sum therefore stops at the first {@code i > alpha} whose term is below {@code
 *       1e-16} times the running sum: a <em>relative</em> criterion. (A fixed absolute cut-off such
 *       as "stop when a term is below {@code exp(-30)}" stops in the first few terms when they are
 *       tiny at large alpha and large q, for example {@code q = 0.5, sigma = 20, alpha = 60.5}, and
 *       then reports {@code log A = -37.4} instead of {@code 1.169}.) The terms are accumulated in
 *       log space (positive and negative parts apart) with a tail-accurate {@code log erfc}; the
 *       result is clamped so that {@code log A >= 0}, which holds exactly.
 *   <li>Special cases: {@code q = 0} gives 0; {@code sigma = 0} with {@code q > 0} gives {@code
 *       +infinity}; {@code q = 1} gives exactly {@code alpha / (2 sigma^2)} per step.
 * </ul>
 *
 * <p>Composition adds RDP per order: {@code T} steps at {@code (q, sigma)} contribute {@code T
 * eps(alpha)}, and {@link #step} may be called with different parameters each time.
 *
 * <h2>Conversion to (epsilon, delta)</h2>
 *
 * <p>Balle, Barthe, Gaboardi, Hsu and Sato, <i>Hypothesis Testing Interpretations and Renyi
 * Differential Privacy</i> (AISTATS 2020, <a
 * href="https://arxiv.org/abs/1905.09982">arXiv:1905.09982</a>):
 *
 * <pre>
 *   epsilon = min_alpha [ rdp(alpha) - (ln delta + ln alpha) / (alpha - 1) + ln((alpha - 1) / alpha) ],
 * </pre>
 *
 * clamped at 0; the minimising order is reported. When nothing data-dependent was released (no
 * steps, or only steps with {@code q = 0}) epsilon is 0, reported with order NaN. (The conversion
 * alone would give a floor of about 0.10 at {@code delta = 1e-5} even for a vanishing RDP curve, so
 * a step with {@code q > 0} always costs at least that.)
 *
 * <h2>Default orders</h2>
 *
 * <p>{@code {1.1, 1.2, ..., 10.9} U {12, 13, ..., 63}} (151 orders, the Opacus default),
 * configurable through {@link #RdpAccountant(double[])}. Orders with an integer value (2.0, 3.0,
 * ...) use the exact binomial expansion.
 *
 * <h2>State</h2>
 *
 * <p>The accumulated RDP vector, the orders and a log of {@link Step} entries (consecutive entries
 * with the same parameters are merged) round-trip exactly through {@link #toJson()} / {@link
 * #fromJson(String)}, so a checkpoint can hold the accountant and a resumed run continues exactly
 * as an uninterrupted one would. Restoring checks that the RDP vector agrees with its history.
 *
 * <p>Instances are thread-safe: every method that reads or changes the accumulated state
 * synchronises on the instance (the orders never change).
 */
public final class RdpAccountant {

  /**
   * One entry of the accountant's history.
   *
   * @param sampleRate the Poisson sampling rate q, in {@code [0, 1]}
   * @param noiseMultiplier sigma, the noise standard deviation divided by the clipping norm
   * @param steps how many steps were taken with these parameters, {@code >= 0}
   */
  public record Step(double sampleRate, double noiseMultiplier, long steps) {
    /** Validates the parameters. */
    public Step {
      checkSampleRate(sampleRate);
      checkNoiseMultiplier(noiseMultiplier);
      checkSteps(steps);
    }
  }

  /** Identifies the JSON form of the state. */
  public static final String STATE_FORMAT = "fedpeft-rdp-accountant";

  /** Version of the JSON form of the state. */
  public static final int STATE_VERSION = 1;

  /** Largest order accepted (the series for an order takes at least that many terms). */
  public static final double MAX_ORDER = 1e6;

  /** The fractional series stops when a term falls below this fraction of the running sum. */
  static final double SERIES_RELATIVE_TOLERANCE = 1e-16;

  /** Hard limit on terms of the fractional series; past it an upper bound is returned. */
  static final long MAX_SERIES_TERMS = 20_000_000L;

  /** Relative width at which the noise-multiplier bisection stops. */
  static final double NOISE_RELATIVE_TOLERANCE = 1e-12;

  /** Relative tolerance when checking a restored RDP vector against its history. */
  private static final double RESTORE_RELATIVE_TOLERANCE = 1e-8;

  private static final double LOG_HALF = Math.log(0.5);
  private static final double LOG_SERIES_TOLERANCE = Math.log(SERIES_RELATIVE_TOLERANCE);
  private static final double SQRT_2 = Math.sqrt(2.0);
  private static final int CACHE_SIZE = 4096;

  private final double[] orders;
  private final double[] rdp;
  private final List<Step> history = new ArrayList<>();

  /**
   * The orders as the key of {@link #PER_STEP}: accountants over equal orders share its vectors.
   */
  private final List<Double> ordersKey;

  /** A key of {@link #PER_STEP}: the orders, q and sigma of a per-step RDP vector. */
  private record PerStepKey(List<Double> orders, double sampleRate, double noiseMultiplier) {}

  /**
   * Per-step RDP vectors by (orders, q, sigma), shared by every accountant of the process, most
   * recently used last (at most {@value #CACHE_SIZE}). A vector costs 10 to 70 ms (the series of
   * the fractional orders), and every accountant restored from its JSON ({@link #fromJson}) replays
   * its history: a simulation restores the accountant of each client it trains and, every round, of
   * every client that has one (to report the largest and mean epsilon), whose steps share a few (q,
   * sigma) pairs. The vectors are pure functions of their key and never changed once made.
   */
  private static final LinkedHashMap<PerStepKey, double[]> PER_STEP =
      new LinkedHashMap<>(16, 0.75f, true);

  /** Per-step RDP vectors computed so far in this process ({@link #perStepComputations}). */
  private static final AtomicLong PER_STEP_COMPUTED = new AtomicLong();

  /** An accountant with the {@linkplain #defaultOrders() default orders} and nothing spent. */
  public RdpAccountant() {
    this(defaultOrders());
  }

  /**
   * An accountant over the given orders, nothing spent.
   *
   * @param orders distinct finite Renyi orders, each in {@code (1, MAX_ORDER]}; copied
   * @throws IllegalArgumentException if {@code orders} is empty or holds an invalid order
   */
  public RdpAccountant(double[] orders) {
    this.orders = checkOrders(orders).clone();
    this.rdp = new double[this.orders.length];
    this.ordersKey = Arrays.stream(this.orders).boxed().toList();
  }

  /** {@code {1.1, 1.2, ..., 10.9} U {12, 13, ..., 63}}: a new array of 151 orders each call. */
  public static double[] defaultOrders() {
    double[] out = new double[99 + 52];
    int n = 0; // 1 + x / 10.0 exactly as Opacus and TF-Privacy build them
    for (int x = 1; x < 100; x++) {
      out[n++] = 1 + x / 10.0;
    }
    for (int a = 12; a < 64; a++) {
      out[n++] = a;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Accumulation and queries

  /**
   * Records {@code steps} steps of the subsampled Gaussian mechanism.
   *
   * @param sampleRate q in {@code [0, 1]}
   * @param noiseMultiplier sigma {@code >= 0}, finite
   * @param steps {@code >= 0}; 0 records nothing
   * @return this accountant
   * @throws IllegalArgumentException naming the offending argument
   */
  public synchronized RdpAccountant step(double sampleRate, double noiseMultiplier, long steps) {
    checkSampleRate(sampleRate);
    checkNoiseMultiplier(noiseMultiplier);
    checkSteps(steps);
    if (steps == 0) {
      return this;
    }
    double[] perStep = cachedPerStep(sampleRate, noiseMultiplier);
    for (int k = 0; k < rdp.length; k++) {
      rdp[k] = accumulate(rdp[k], perStep[k], steps);
    }
    appendHistory(new Step(sampleRate, noiseMultiplier, steps));
    return this;
  }

  /** Records a single step; see {@link #step(double, double, long)}. */
  public RdpAccountant step(double sampleRate, double noiseMultiplier) {
    return step(sampleRate, noiseMultiplier, 1);
  }

  /** The epsilon spent so far at {@code delta}; see {@link #getPrivacySpent(double)}. */
  public double getEpsilon(double delta) {
    return getPrivacySpent(delta).epsilon();
  }

  /**
   * The (epsilon, delta) guarantee of everything recorded so far.
   *
   * @throws IllegalArgumentException if {@code delta} is not in {@code (0, 1)}
   */
  public synchronized PrivacySpent getPrivacySpent(double delta) {
    checkDelta(delta);
    if (!releasedAnything()) {
      return new PrivacySpent(0.0, delta, Double.NaN);
    }
    return epsilonFromRdp(orders, rdp, delta);
  }

  /** True once a step with a positive sampling rate has been recorded. */
  private boolean releasedAnything() {
    for (Step s : history) {
      if (s.sampleRate() > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * The epsilon that recording {@code steps} more steps at {@code (sampleRate, noiseMultiplier)}
   * would give, without changing this accountant. The value equals what {@link #getEpsilon} returns
   * after the corresponding {@link #step} call, bit for bit.
   */
  public double epsilonIfStep(double sampleRate, double noiseMultiplier, long steps, double delta) {
    return privacySpentIfStep(sampleRate, noiseMultiplier, steps, delta).epsilon();
  }

  /** As {@link #epsilonIfStep}, with the order and delta. Does not change this accountant. */
  public synchronized PrivacySpent privacySpentIfStep(
      double sampleRate, double noiseMultiplier, long steps, double delta) {
    checkSampleRate(sampleRate);
    checkNoiseMultiplier(noiseMultiplier);
    checkSteps(steps);
    checkDelta(delta);
    if (steps == 0 || sampleRate == 0) {
      return getPrivacySpent(delta);
    }
    double[] perStep = cachedPerStep(sampleRate, noiseMultiplier);
    double[] next = new double[rdp.length];
    for (int k = 0; k < rdp.length; k++) {
      next[k] = accumulate(rdp[k], perStep[k], steps);
    }
    return epsilonFromRdp(orders, next, delta);
  }

  /** The orders (a copy). */
  public double[] orders() {
    return orders.clone();
  }

  /** The accumulated RDP per order (a copy), aligned with {@link #orders()}. */
  public synchronized double[] rdp() {
    return rdp.clone();
  }

  /**
   * The recorded steps, consecutive entries with equal parameters merged (an unmodifiable copy).
   */
  public synchronized List<Step> history() {
    return Collections.unmodifiableList(new ArrayList<>(history));
  }

  /** The total number of recorded steps. */
  public synchronized long totalSteps() {
    long total = 0;
    for (Step s : history) {
      total = Math.addExact(total, s.steps());
    }
    return total;
  }

  /** A deep copy with the same state. */
  public synchronized RdpAccountant copy() {
    RdpAccountant c = new RdpAccountant(orders);
    System.arraycopy(rdp, 0, c.rdp, 0, rdp.length);
    c.history.addAll(history);
    return c;
  }

  // ---------------------------------------------------------------------------------------------
  // Static computations

  /**
   * RDP of {@code steps} steps of the subsampled Gaussian mechanism at each order.
   *
   * @throws IllegalArgumentException naming the offending argument
   */
  public static double[] computeRdp(
      double sampleRate, double noiseMultiplier, long steps, double[] orders) {
    checkSampleRate(sampleRate);
    checkNoiseMultiplier(noiseMultiplier);
    checkSteps(steps);
    checkOrders(orders);
    double[] out = new double[orders.length];
    if (steps == 0) {
      return out;
    }
    for (int k = 0; k < orders.length; k++) {
      out[k] = accumulate(0.0, rdpPerStep(sampleRate, noiseMultiplier, orders[k]), steps);
    }
    return out;
  }

  /**
   * RDP of one step at one order.
   *
   * @throws IllegalArgumentException naming the offending argument
   */
  public static double rdpPerStep(double sampleRate, double noiseMultiplier, double order) {
    checkSampleRate(sampleRate);
    checkNoiseMultiplier(noiseMultiplier);
    checkOrder(order);
    if (sampleRate == 0) {
      return 0.0;
    }
    if (noiseMultiplier == 0) {
      return Double.POSITIVE_INFINITY;
    }
    if (sampleRate == 1) {
      return order / (2 * noiseMultiplier * noiseMultiplier);
    }
    return logA(sampleRate, noiseMultiplier, order) / (order - 1);
  }

  /**
   * The (epsilon, delta) guarantee of {@code steps} steps at one setting, over the default orders.
   */
  public static PrivacySpent computeEpsilon(
      double sampleRate, double noiseMultiplier, long steps, double delta) {
    return computeEpsilon(sampleRate, noiseMultiplier, steps, delta, defaultOrders());
  }

  /**
   * The (epsilon, delta) guarantee of {@code steps} steps at one setting, over given orders. The
   * result equals {@code epsilonFromRdp(orders, computeRdp(...), delta)} exactly, but fractional
   * orders that provably cannot give the minimum are skipped: RDP is non-decreasing in the order
   * (van Erven and Harremoes, IEEE Trans. Inf. Theory 2014, Theorem 3), so {@code T rdp(floor
   * alpha)} (or 0 below 2) plus the conversion term bounds the epsilon at {@code alpha} from below,
   * and the order is skipped when that bound already exceeds the best epsilon found. This prunes
   * the slowly converging series at orders near 1.
   */
  public static PrivacySpent computeEpsilon(
      double sampleRate, double noiseMultiplier, long steps, double delta, double[] orders) {
    checkSampleRate(sampleRate);
    checkNoiseMultiplier(noiseMultiplier);
    checkSteps(steps);
    checkDelta(delta);
    checkOrders(orders);
    if (steps == 0 || sampleRate == 0) {
      return new PrivacySpent(0.0, delta, Double.NaN);
    }
    if (noiseMultiplier == 0) {
      return new PrivacySpent(Double.POSITIVE_INFINITY, delta, orders[0]);
    }
    double logDelta = Math.log(delta);
    int n = orders.length;
    double[] eps = new double[n];
    boolean[] done = new boolean[n];
    double best = Double.POSITIVE_INFINITY;
    // Integer orders first: cheap, exact, and they give the pruning threshold.
    for (int k = 0; k < n; k++) {
      if (orders[k] == Math.rint(orders[k])) {
        double r = accumulate(0.0, rdpPerStep(sampleRate, noiseMultiplier, orders[k]), steps);
        eps[k] = conversion(r, orders[k], logDelta);
        done[k] = true;
        best = Math.min(best, eps[k]);
      }
    }
    Map<Double, Double> floorRdp = new HashMap<>();
    for (int k = 0; k < n; k++) {
      if (done[k]) {
        continue;
      }
      double a = orders[k];
      double fl = Math.floor(a);
      double lowerRdp = 0.0;
      if (fl >= 2) {
        lowerRdp =
            floorRdp.computeIfAbsent(
                fl, f -> accumulate(0.0, rdpPerStep(sampleRate, noiseMultiplier, f), steps));
      }
      // A small slack guards against rounding in the monotonicity argument.
      double lowerBound = lowerRdp * (1 - 1e-9) + conversion(0.0, a, logDelta);
      if (lowerBound > best) {
        eps[k] = Double.POSITIVE_INFINITY; // cannot be the minimum
        continue;
      }
      double r = accumulate(0.0, rdpPerStep(sampleRate, noiseMultiplier, a), steps);
      eps[k] = conversion(r, a, logDelta);
      best = Math.min(best, eps[k]);
    }
    double min = Double.POSITIVE_INFINITY;
    double minOrder = orders[0];
    for (int k = 0; k < n; k++) {
      if (eps[k] < min) {
        min = eps[k];
        minOrder = orders[k];
      }
    }
    return new PrivacySpent(Math.max(0.0, min), delta, minOrder);
  }

  /**
   * Converts an RDP curve to (epsilon, delta) with the conversion of Balle et al. (2020), minimised
   * over the orders and clamped at 0. This is the bare conversion: an all-zero curve gives the
   * conversion's floor (about 0.10 at {@code delta = 1e-5} with the default orders), not 0; the
   * accountant and {@link #computeEpsilon} report 0 themselves when nothing was released.
   *
   * @throws IllegalArgumentException for mismatched lengths, a NaN or negative RDP value, an
   *     invalid order or a delta outside {@code (0, 1)}
   */
  public static PrivacySpent epsilonFromRdp(double[] orders, double[] rdp, double delta) {
    checkOrders(orders);
    Objects.requireNonNull(rdp, "rdp");
    checkDelta(delta);
    if (orders.length != rdp.length) {
      throw new IllegalArgumentException(
          "rdp has " + rdp.length + " values but there are " + orders.length + " orders");
    }
    for (double r : rdp) {
      if (Double.isNaN(r) || r < 0) {
        throw new IllegalArgumentException("rdp values must be >= 0, got " + r);
      }
    }
    double logDelta = Math.log(delta);
    double best = Double.POSITIVE_INFINITY;
    double bestOrder = orders[0];
    for (int k = 0; k < orders.length; k++) {
      double eps = conversion(rdp[k], orders[k], logDelta);
      if (eps < best) {
        best = eps;
        bestOrder = orders[k];
      }
    }
    return new PrivacySpent(Math.max(0.0, best), delta, bestOrder);
  }

  /**
   * {@link #findNoiseMultiplier}'s target epsilon cannot be reached, so that a caller can say so in
   * its own terms (a command line names its options).
   */
  public static final class UnreachableTargetException extends IllegalArgumentException {

    private final double floor;

    UnreachableTargetException(String message, double floor) {
      super(message);
      this.floor = floor;
    }

    /**
     * The epsilon that even infinite noise does not go below, with these orders and delta, if the
     * target is at or under it; NaN if the target is above it but needs a noise multiplier above
     * 1e12.
     */
    public double floor() {
      return floor;
    }
  }

  /**
   * The smallest noise multiplier for which {@code steps} steps at sampling rate {@code sampleRate}
   * give epsilon {@code <= targetEpsilon} at {@code delta}, over the default orders.
   *
   * @see #findNoiseMultiplier(double, double, long, double, double[])
   */
  public static double findNoiseMultiplier(
      double targetEpsilon, double sampleRate, long steps, double delta) {
    return findNoiseMultiplier(targetEpsilon, sampleRate, steps, delta, defaultOrders());
  }

  /**
   * The smallest noise multiplier for which {@code steps} steps at sampling rate {@code sampleRate}
   * give epsilon {@code <= targetEpsilon} at {@code delta}, by bisection to a relative width of
   * {@code 1e-12}. The returned value is the upper end of the final bracket, so {@code
   * computeEpsilon(sampleRate, result, steps, delta).epsilon() <= targetEpsilon} holds for it (it
   * was evaluated); any value more than {@code 1e-12} (relative) below it does not reach the
   * target. Returns 0 when no noise is needed ({@code sampleRate == 0}, {@code steps == 0} or an
   * infinite target).
   *
   * @throws IllegalArgumentException for invalid arguments, or ({@link UnreachableTargetException})
   *     when the target is unreachable: even infinite noise gives an epsilon bound of {@code
   *     min_alpha [-(ln delta + ln alpha) / (alpha - 1) + ln((alpha - 1) / alpha)]} with these
   *     orders (about 0.10 for {@code delta = 1e-5} and the default orders)
   */
  public static double findNoiseMultiplier(
      double targetEpsilon, double sampleRate, long steps, double delta, double[] orders) {
    if (Double.isNaN(targetEpsilon) || targetEpsilon < 0) {
      throw new IllegalArgumentException("targetEpsilon must be >= 0, got " + targetEpsilon);
    }
    checkSampleRate(sampleRate);
    checkSteps(steps);
    checkDelta(delta);
    checkOrders(orders);
    if (sampleRate == 0 || steps == 0 || targetEpsilon == Double.POSITIVE_INFINITY) {
      return 0.0;
    }
    double logDelta = Math.log(delta);
    double floor = Double.POSITIVE_INFINITY;
    for (double a : orders) {
      floor = Math.min(floor, conversion(0.0, a, logDelta));
    }
    floor = Math.max(0.0, floor);
    if (targetEpsilon <= floor) {
      throw new UnreachableTargetException(
          "targetEpsilon "
              + targetEpsilon
              + " is unreachable: with these orders and delta="
              + delta
              + " no noise multiplier gives epsilon below "
              + floor
              + " (raise the target or delta, or add larger orders)",
          floor);
    }
    double hi = 1.0;
    double lo;
    if (epsilonAt(sampleRate, hi, steps, delta, orders) > targetEpsilon) {
      do {
        lo = hi;
        hi *= 2;
        if (hi > 1e12) {
          throw new UnreachableTargetException(
              "targetEpsilon " + targetEpsilon + " is unreachable with noise multiplier <= 1e12",
              Double.NaN);
        }
      } while (epsilonAt(sampleRate, hi, steps, delta, orders) > targetEpsilon);
    } else {
      lo = hi;
      while (epsilonAt(sampleRate, lo, steps, delta, orders) <= targetEpsilon) {
        hi = lo;
        lo *= 0.5;
        if (lo < Double.MIN_NORMAL) {
          return hi;
        }
      }
    }
    // Invariant: epsilon(lo) > target >= epsilon(hi).
    for (int it = 0; it < 200 && hi - lo > NOISE_RELATIVE_TOLERANCE * hi; it++) {
      double mid = 0.5 * (lo + hi);
      if (mid <= lo || mid >= hi) {
        break;
      }
      if (epsilonAt(sampleRate, mid, steps, delta, orders) <= targetEpsilon) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  private static double epsilonAt(
      double sampleRate, double noiseMultiplier, long steps, double delta, double[] orders) {
    return computeEpsilon(sampleRate, noiseMultiplier, steps, delta, orders).epsilon();
  }

  /** Balle et al. (2020): the epsilon bound from RDP {@code r} at order {@code a}. */
  private static double conversion(double r, double a, double logDelta) {
    return r - (logDelta + Math.log(a)) / (a - 1) + Math.log((a - 1) / a);
  }

  /** {@code prior + steps * perStep}, defined as {@code prior} when {@code steps == 0}. */
  private static double accumulate(double prior, double perStep, long steps) {
    return steps == 0 ? prior : prior + steps * perStep;
  }

  // ---------------------------------------------------------------------------------------------
  // log A_alpha

  /**
   * {@code log A_alpha} for {@code 0 < q < 1}, {@code sigma > 0}; always {@code >= 0}. Package
   * private for tests.
   */
  static double logA(double q, double sigma, double alpha) {
    double twoSigma2 = 2 * sigma * sigma;
    if (twoSigma2 == 0 || Double.isInfinite(1.0 / twoSigma2)) {
      return Double.POSITIVE_INFINITY; // sigma so small that 1/sigma^2 overflows
    }
    double out =
        alpha == Math.rint(alpha)
            ? logAInteger(q, sigma, (int) alpha)
            : logAFractional(q, sigma, alpha);
    if (Double.isNaN(out)) {
      throw new ArithmeticException(
          "log A is NaN for q=" + q + ", sigma=" + sigma + ", alpha=" + alpha);
    }
    return Math.max(0.0, out);
  }

  /** Exact binomial expansion of {@code A - 1}, in log space. */
  static double logAInteger(double q, double sigma, int alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2 * sigma * sigma;
    double logAm1 = Double.NEGATIVE_INFINITY; // log(A - 1)
    double logCoef = 0.0; // log C(alpha, k)
    for (int k = 0; k <= alpha; k++) {
      if (k >= 2) {
        double exponent = ((double) k * k - k) / twoSigma2;
        double term = logCoef + k * logQ + (alpha - k) * log1mQ + LogMath.logExpm1(exponent);
        logAm1 = LogMath.logAdd(logAm1, term);
      }
      if (k < alpha) {
        logCoef += Math.log(alpha - k) - Math.log(k + 1.0);
      }
    }
    return LogMath.log1pExp(logAm1);
  }

  /** The two-series expansion for fractional alpha, summed to relative convergence. */
  static double logAFractional(double q, double sigma, double alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2 * sigma * sigma;
    double z0 = sigma * sigma * (log1mQ - logQ) + 0.5;
    double sqrt2Sigma = SQRT_2 * sigma;
    double logPos = Double.NEGATIVE_INFINITY;
    double logNeg = Double.NEGATIVE_INFINITY;
    double logCoef = 0.0; // log |C(alpha, i)|
    boolean positive = true; // sign of C(alpha, i)
    for (long i = 0; ; i++) {
      double di = i;
      double j = alpha - di;
      double logS0 =
          logCoef
              + di * logQ
              + j * log1mQ
              + (di * di - di) / twoSigma2
              + LOG_HALF
              + LogMath.logErfc((di - z0) / sqrt2Sigma);
      double logS1 =
          logCoef
              + j * logQ
              + di * log1mQ
              + (j * j - j) / twoSigma2
              + LOG_HALF
              + LogMath.logErfc((z0 - j) / sqrt2Sigma);
      double logTerm = LogMath.logAdd(logS0, logS1);
      if (Double.isNaN(logTerm)) {
        throw new ArithmeticException(
            "NaN term " + i + " for q=" + q + ", sigma=" + sigma + ", alpha=" + alpha);
      }
      if (positive) {
        logPos = LogMath.logAdd(logPos, logTerm);
      } else {
        logNeg = LogMath.logAdd(logNeg, logTerm);
      }
      if (di > alpha) {
        // Alternating with decreasing terms from here: |error| < |next term| < |this term|.
        double logSum = LogMath.logSub(logPos, logNeg);
        if (logTerm <= logSum + LOG_SERIES_TOLERANCE) {
          return logSum;
        }
        if (i >= MAX_SERIES_TERMS) {
          return LogMath.logAdd(logSum, logTerm); // an upper bound on the limit
        }
      }
      positive = positive == (alpha - di > 0);
      logCoef += Math.log(Math.abs(alpha - di)) - Math.log(di + 1);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // State

  /** The state as a JSON object: format, version, orders, rdp, history. */
  public synchronized JsonObject toJsonTree() {
    JsonObject o = new JsonObject();
    o.addProperty("format", STATE_FORMAT);
    o.addProperty("version", STATE_VERSION);
    o.add("orders", toJsonArray(orders));
    o.add("rdp", toJsonArray(rdp));
    JsonArray h = new JsonArray();
    for (Step s : history) {
      JsonObject e = new JsonObject();
      e.add("sampleRate", number(s.sampleRate()));
      e.add("noiseMultiplier", number(s.noiseMultiplier()));
      e.addProperty("steps", s.steps());
      h.add(e);
    }
    o.add("history", h);
    return o;
  }

  /** The state as compact JSON text; doubles are written so they read back bit for bit. */
  public String toJson() {
    return new Gson().toJson(toJsonTree());
  }

  /**
   * Restores an accountant from {@link #toJson()} output.
   *
   * @throws IllegalArgumentException if the text is not a valid, self-consistent state
   */
  public static RdpAccountant fromJson(String json) {
    Objects.requireNonNull(json, "json");
    JsonElement tree;
    try {
      tree = JsonFiles.parse(json); // strict: no NaN, comment or repeated key
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("accountant state is not valid: " + e.getMessage(), e);
    }
    return fromJsonTree(tree);
  }

  /**
   * Restores an accountant from {@link #toJsonTree()} output. The RDP vector is taken as stored (so
   * continuing gives exactly what an uninterrupted run gives) after checking that it agrees with
   * the history to a relative {@code 1e-8}.
   *
   * @throws IllegalArgumentException if the tree is not a valid, self-consistent state
   */
  public static RdpAccountant fromJsonTree(JsonElement tree) {
    try {
      JsonObject o = tree.getAsJsonObject();
      String format = o.get("format").getAsString();
      int version = o.get("version").getAsInt();
      if (!STATE_FORMAT.equals(format) || version != STATE_VERSION) {
        throw new IllegalArgumentException(
            "unsupported accountant state " + format + " version " + version);
      }
      RdpAccountant acc = new RdpAccountant(fromJsonArray(o.getAsJsonArray("orders")));
      double[] stored = fromJsonArray(o.getAsJsonArray("rdp"));
      if (stored.length != acc.orders.length) {
        throw new IllegalArgumentException(
            "accountant state has " + stored.length + " rdp values for " + acc.orders.length);
      }
      for (JsonElement e : o.getAsJsonArray("history")) {
        JsonObject s = e.getAsJsonObject();
        acc.step(
            s.get("sampleRate").getAsDouble(),
            s.get("noiseMultiplier").getAsDouble(),
            s.get("steps").getAsLong());
      }
      for (int k = 0; k < stored.length; k++) {
        double want = acc.rdp[k];
        double got = stored[k];
        boolean ok =
            got == want
                || (Double.isFinite(got)
                    && Double.isFinite(want)
                    && Math.abs(got - want) <= RESTORE_RELATIVE_TOLERANCE * Math.abs(want));
        if (!ok) {
          throw new IllegalArgumentException(
              "accountant state is inconsistent: rdp at order "
                  + acc.orders[k]
                  + " is "
                  + got
                  + " but its history gives "
                  + want);
        }
      }
      System.arraycopy(stored, 0, acc.rdp, 0, stored.length);
      return acc;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed accountant state: " + e, e);
    }
  }

  private static JsonArray toJsonArray(double[] values) {
    JsonArray a = new JsonArray();
    for (double v : values) {
      a.add(number(v));
    }
    return a;
  }

  /** A JSON number, or the string "Infinity" (plain JSON has no infinite numbers). */
  private static JsonPrimitive number(double v) {
    if (v == Double.POSITIVE_INFINITY) {
      return new JsonPrimitive("Infinity");
    }
    return new JsonPrimitive(v);
  }

  private static double[] fromJsonArray(JsonArray a) {
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsDouble();
    }
    return out;
  }

  @Override
  public synchronized boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RdpAccountant other)) {
      return false;
    }
    RdpAccountant c = other.copy();
    return Arrays.equals(orders, c.orders)
        && Arrays.equals(rdp, c.rdp)
        && history.equals(c.history);
  }

  @Override
  public synchronized int hashCode() {
    return Objects.hash(Arrays.hashCode(orders), Arrays.hashCode(rdp), history);
  }

  @Override
  public synchronized String toString() {
    return "RdpAccountant[" + orders.length + " orders, " + history + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private double[] cachedPerStep(double sampleRate, double noiseMultiplier) {
    PerStepKey key = new PerStepKey(ordersKey, sampleRate, noiseMultiplier);
    synchronized (PER_STEP) {
      double[] v = PER_STEP.get(key);
      if (v != null) {
        return v;
      }
    }
    // Computed outside the lock (other accountants go on meanwhile); two threads asking for the
    // same key compute equal vectors, and either is kept.
    double[] v = new double[orders.length];
    for (int k = 0; k < orders.length; k++) {
      v[k] = rdpPerStep(sampleRate, noiseMultiplier, orders[k]);
    }
    PER_STEP_COMPUTED.incrementAndGet();
    synchronized (PER_STEP) {
      PER_STEP.put(key, v);
      if (PER_STEP.size() > CACHE_SIZE) {
        Iterator<Map.Entry<PerStepKey, double[]>> it = PER_STEP.entrySet().iterator();
        it.next();
        it.remove();
      }
    }
    return v;
  }

  /**
   * How many per-step RDP vectors this process has computed (each one the series of every order at
   * one (q, sigma)); restoring or charging an accountant at a (q, sigma) computed before adds none.
   */
  static long perStepComputations() {
    return PER_STEP_COMPUTED.get();
  }

  private void appendHistory(Step s) {
    if (!history.isEmpty()) {
      Step last = history.get(history.size() - 1);
      if (Double.compare(last.sampleRate(), s.sampleRate()) == 0
          && Double.compare(last.noiseMultiplier(), s.noiseMultiplier()) == 0) {
        history.set(
            history.size() - 1,
            new Step(s.sampleRate(), s.noiseMultiplier(), Math.addExact(last.steps(), s.steps())));
        return;
      }
    }
    history.add(s);
  }

  static void checkSampleRate(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("sampleRate (q) must be in [0, 1], got " + q);
    }
  }

  static void checkNoiseMultiplier(double sigma) {
    if (!(sigma >= 0 && sigma < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException(
          "noiseMultiplier (sigma) must be finite and >= 0, got " + sigma);
    }
  }

  static void checkSteps(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    }
  }

  static void checkDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }
  }

  private static void checkOrder(double a) {
    if (!(a > 1 && a <= MAX_ORDER)) {
      throw new IllegalArgumentException(
          "each order (alpha) must be in (1, " + MAX_ORDER + "], got " + a);
    }
  }

  /**
   * Checks Renyi orders as every method here does: non-empty, distinct, each in {@code (1,
   * MAX_ORDER]}.
   *
   * @return {@code orders} itself
   * @throws IllegalArgumentException naming the first order that is not
   */
  public static double[] checkOrders(double[] orders) {
    Objects.requireNonNull(orders, "orders");
    if (orders.length == 0) {
      throw new IllegalArgumentException("orders must not be empty");
    }
    double[] sorted = orders.clone();
    Arrays.sort(sorted);
    for (int k = 0; k < sorted.length; k++) {
      checkOrder(sorted[k]);
      if (k > 0 && sorted[k] == sorted[k - 1]) {
        throw new IllegalArgumentException("orders must be distinct, " + sorted[k] + " repeats");
      }
    }
    return orders;
  }
}
