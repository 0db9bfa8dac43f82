package org.fedpeft.privacy;

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
   */
  public static String noNoiseNote(String setting) {
    return setting + " adds no noise, so there is no privacy guarantee (epsilon is infinite)";
  }
}
