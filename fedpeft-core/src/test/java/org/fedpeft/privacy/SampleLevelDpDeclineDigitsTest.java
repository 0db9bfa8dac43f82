package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.fedpeft.federation.ClientDeclinedException;
import org.fedpeft.federation.ClientState;
import org.junit.jupiter.api.Test;

/**
 * QA, 3 December: a client with sample-level DP that declines a round printed the epsilon the round
 * would bring with 4 decimals beside the budget in full ("would bring it to 1.2346, above the
 * budget 1.23456789"), which read as below it; train's stop and the client-level refusal already
 * print as many decimals as it takes to differ ({@link PrivacySpent#epsilonBeside}), and so does
 * this decline now.
 */
class SampleLevelDpDeclineDigitsTest {

  private static final double DELTA = 1e-5;

  @Test
  void theDeclineShowsWhyTheEpsilonIsAboveTheBudget() {
    DpSgd.Config sgd = new DpSgd.Config(1.0, 1.1, 4);
    double q = sgd.sampleRate(40);
    double would = new RdpAccountant().epsilonIfStep(q, 1.1, 5, DELTA);
    // A budget just below what the round would bring: the two agree to 4 decimals or more.
    double budget = would - 1e-9;
    assertEquals(
        String.format(Locale.ROOT, "%.4f", would), String.format(Locale.ROOT, "%.4f", budget));
    SampleLevelDp dp = new SampleLevelDp(new SampleLevelDp.Config(sgd, budget, DELTA));

    ClientDeclinedException e =
        assertThrows(ClientDeclinedException.class, () -> dp.admit(ClientState.EMPTY, 40, 5));
    String shown = PrivacySpent.epsilonBeside(would, budget);
    assertTrue(shown.length() > "0.0000".length(), shown);
    assertTrue(
        e.getMessage().contains("would bring it to " + shown + ", above the budget " + budget),
        e.getMessage());
  }
}
