package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link PrivacySpent#epsilonBeside}: 4 decimals, or as many as it takes to differ from the budget;
 * simulate's and server's refusal ({@link BudgetExceededException}) prints it so.
 */
class EpsilonBesideTest {

  @Test
  void fourDecimalsOrAsManyAsItTakes() {
    assertEquals("0.5123", PrivacySpent.epsilonBeside(0.51234, 0.484));
    assertEquals("0.48400001", PrivacySpent.epsilonBeside(0.4840000123456, 0.484));
    assertEquals("0.4840", PrivacySpent.epsilonBeside(0.484, 0.484));
    assertEquals("Infinity", PrivacySpent.epsilonBeside(Double.POSITIVE_INFINITY, 1));
  }

  @Test
  void theRefusalOfARoundShowsTheDifference() {
    String m =
        new BudgetExceededException(0.484, new PrivacySpent(0.4840000123456, 1e-5, 8), "round 7")
            .getMessage();
    assertTrue(m.contains("round 7 would bring epsilon to 0.48400001 (order 8.0)"), m);
    assertTrue(m.contains("above the budget epsilon=0.484"), m);
  }
}
