package org.fedpeft.privacy;

import java.util.Locale;

/**
 * An (epsilon, delta) guarantee obtained from an RDP curve, with the order that gave it.
 *
 * @param epsilon the smallest epsilon over the accountant's orders, {@code >= 0}; {@code +infinity}
 *     when no order gives a finite bound (for example after a step with noise multiplier 0)
 * @param delta the delta the conversion was made for, in {@code (0, 1)}
 * @param order the Renyi order alpha at which the minimum was reached; NaN when {@code epsilon ==
 *     0} because nothing data-dependent was released (every step had sampling rate 0, or there were
 *     no steps), and the first order when epsilon is infinite
 */
public record PrivacySpent(double epsilon, double delta, double order) {

  /** True if no finite guarantee holds. */
  public boolean isInfinite() {
    return epsilon == Double.POSITIVE_INFINITY;
  }

  /**
   * What a run's summary.json says instead of an epsilon (its {@code epsilon_note}) when its noise
   * multiplier is 0, so that train and simulate word it alike.
   *
   * @param setting the setting that made it so, e.g. {@code --dp-noise 0}
   * @param released what the multiplier would have noised: {@code "the gradients"} under
   *     sample-level DP, {@code "the update"} under client-level DP (whose adaptive clipping still
   *     noises the clipped count, so the note names what gets none)
   */
  public static String noNoiseNote(String setting, String released) {
    return setting
        + " adds no noise to "
        + released
        + ", so there is no privacy guarantee (epsilon is infinite)";
  }

  /**
   * {@code epsilon} with 4 decimals, or with as many more as it takes for it to differ from {@code
   * budget} written with as many (so that "would bring epsilon to 0.48400001, above the budget
   * 0.484" shows why; 4 decimals read "0.4840"); {@link Double#toString} if even 17 decimals do not
   * tell them apart. Equal or infinite values get 4 decimals ("Infinity").
   */
  public static String epsilonBeside(double epsilon, double budget) {
    if (epsilon == budget || Double.isInfinite(epsilon) || Double.isNaN(epsilon)) {
      return String.format(Locale.ROOT, "%.4f", epsilon);
    }
    for (int decimals = 4; decimals <= 17; decimals++) {
      String f = "%." + decimals + "f";
      String e = String.format(Locale.ROOT, f, epsilon);
      if (!e.equals(String.format(Locale.ROOT, f, budget))) {
        return e;
      }
    }
    return Double.toString(epsilon);
  }
}
