package org.fedpeft.privacy;

import java.util.Locale;
import java.util.Objects;

/**
 * An (epsilon, delta) budget enforced over an {@link RdpAccountant}: a charge that would take
 * epsilon above the budget is refused, before anything is recorded, so a trainer can check before
 * it releases a noisy step or round.
 *
 * <p>Typical use: call {@link #charge} just before adding the noise of a step (or round); if it
 * throws {@link BudgetExceededException}, stop without releasing that step. {@link #charge} checks
 * and records atomically (it synchronises on the accountant).
 */
public final class PrivacyBudget {

  private final double epsilon;
  private final double delta;
  private final RdpAccountant accountant;

  /** A budget over a new accountant with the default orders. */
  public PrivacyBudget(double epsilon, double delta) {
    this(epsilon, delta, new RdpAccountant());
  }

  /**
   * A budget over an existing accountant (for example one restored from a checkpoint).
   *
   * @param epsilon the budget, {@code >= 0} (may be infinite: no limit)
   * @param delta in {@code (0, 1)}
   * @param accountant the accountant charged; not copied
   * @throws IllegalArgumentException for an invalid epsilon or delta
   */
  public PrivacyBudget(double epsilon, double delta, RdpAccountant accountant) {
    if (Double.isNaN(epsilon) || epsilon < 0) {
      throw new IllegalArgumentException("epsilon must be >= 0, got " + epsilon);
    }
    RdpAccountant.checkDelta(delta);
    this.epsilon = epsilon;
    this.delta = delta;
    this.accountant = Objects.requireNonNull(accountant, "accountant");
  }

  /** The budget's epsilon. */
  public double epsilon() {
    return epsilon;
  }

  /** The budget's delta. */
  public double delta() {
    return delta;
  }

  /** The accountant charged (live, not a copy). */
  public RdpAccountant accountant() {
    return accountant;
  }

  /** What has been spent so far, at this budget's delta. */
  public PrivacySpent spent() {
    return accountant.getPrivacySpent(delta);
  }

  /** True if {@code steps} more steps at {@code (sampleRate, noiseMultiplier)} stay in budget. */
  public boolean canCharge(double sampleRate, double noiseMultiplier, long steps) {
    return accountant.epsilonIfStep(sampleRate, noiseMultiplier, steps, delta) <= epsilon;
  }

  /**
   * Checks a charge without recording it.
   *
   * @return the guarantee after the charge
   * @throws BudgetExceededException if it would exceed the budget
   */
  public PrivacySpent check(double sampleRate, double noiseMultiplier, long steps) {
    PrivacySpent next = accountant.privacySpentIfStep(sampleRate, noiseMultiplier, steps, delta);
    if (!(next.epsilon() <= epsilon)) {
      throw new BudgetExceededException(
          epsilon, next, describe(sampleRate, noiseMultiplier, steps));
    }
    return next;
  }

  /**
   * Records {@code steps} steps if the result stays within the budget (epsilon {@code <=} the
   * budget); otherwise records nothing and throws.
   *
   * @return the guarantee after the charge
   * @throws BudgetExceededException if the charge would exceed the budget (nothing recorded)
   * @throws IllegalArgumentException for invalid arguments (nothing recorded)
   */
  public PrivacySpent charge(double sampleRate, double noiseMultiplier, long steps) {
    synchronized (accountant) {
      PrivacySpent next = check(sampleRate, noiseMultiplier, steps);
      accountant.step(sampleRate, noiseMultiplier, steps);
      return next;
    }
  }

  /**
   * The largest number of further steps at {@code (sampleRate, noiseMultiplier)} that stays within
   * the budget ({@code Long.MAX_VALUE} if they cost nothing, 0 if not even one fits).
   */
  public long remainingSteps(double sampleRate, double noiseMultiplier) {
    synchronized (accountant) {
      if (!canCharge(sampleRate, noiseMultiplier, 1)) {
        return 0;
      }
      long lo = 1; // fits
      long hi = 2;
      while (canCharge(sampleRate, noiseMultiplier, hi)) {
        lo = hi;
        if (hi > Long.MAX_VALUE / 2) {
          return Long.MAX_VALUE;
        }
        hi *= 2;
      }
      while (hi - lo > 1) { // lo fits, hi does not
        long mid = lo + (hi - lo) / 2;
        if (canCharge(sampleRate, noiseMultiplier, mid)) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      return lo;
    }
  }

  private static String describe(double sampleRate, double noiseMultiplier, long steps) {
    return String.format(
        Locale.ROOT,
        "%d step(s) at sampleRate=%s, noiseMultiplier=%s",
        steps,
        sampleRate,
        noiseMultiplier);
  }

  @Override
  public String toString() {
    return "PrivacyBudget[epsilon=" + epsilon + ", delta=" + delta + ", spent=" + spent() + "]";
  }
}
