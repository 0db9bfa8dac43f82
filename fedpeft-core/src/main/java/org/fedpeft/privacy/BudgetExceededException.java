package org.fedpeft.privacy;

import java.util.Locale;

/**
 * Thrown by {@link PrivacyBudget#charge} (and {@link PrivacyBudget#check}) when a charge would take
 * epsilon above the budget, and by {@link ClientLevelDp#checkRound} for a round that would. Nothing
 * was recorded when it is thrown, so the caller can stop before releasing anything noisy.
 */
public final class BudgetExceededException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final double budgetEpsilon;
  private final PrivacySpent wouldReach;

  /**
   * @param budgetEpsilon the configured epsilon
   * @param wouldReach the guarantee the refused charge would have produced
   * @param charge what was asked, for the message
   */
  BudgetExceededException(double budgetEpsilon, PrivacySpent wouldReach, String charge) {
    super(
        String.format(
            Locale.ROOT,
            "privacy budget exceeded: %s would bring epsilon to %s (order %s) at delta=%s,"
                + " above the budget epsilon=%s; nothing was recorded",
            charge,
            PrivacySpent.epsilonBeside(wouldReach.epsilon(), budgetEpsilon),
            wouldReach.order(),
            wouldReach.delta(),
            budgetEpsilon));
    this.budgetEpsilon = budgetEpsilon;
    this.wouldReach = wouldReach;
  }

  /** The configured epsilon. */
  public double budgetEpsilon() {
    return budgetEpsilon;
  }

  /** The epsilon (with its order and delta) the refused charge would have reached. */
  public PrivacySpent wouldReach() {
    return wouldReach;
  }
}
