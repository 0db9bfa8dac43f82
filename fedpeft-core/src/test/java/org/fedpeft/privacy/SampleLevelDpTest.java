package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fedpeft.federation.ClientDeclinedException;
import org.fedpeft.federation.ClientState;
import org.junit.jupiter.api.Test;

class SampleLevelDpTest {

  private static final double DELTA = 1e-5;

  private static SampleLevelDp dp(double budget) {
    return new SampleLevelDp(
        new SampleLevelDp.Config(new DpSgd.Config(1.0, 1.1, 4), budget, DELTA));
  }

  @Test
  void aClientsAccountantLivesInItsStateAndComposesItsRounds() {
    // A client with 40 examples, batch 4: q = 0.1; three rounds of 5 steps each, as DpSgd charges
    // them (one step at a time).
    SampleLevelDp dp = dp(0);
    ClientState state = ClientState.EMPTY.withValue("other", "kept");
    RdpAccountant reference = new RdpAccountant();
    for (int round = 0; round < 3; round++) {
      PrivacyBudget b = dp.admit(state, 40, 5);
      for (int s = 0; s < 5; s++) {
        b.charge(0.1, 1.1, 1);
        reference.step(0.1, 1.1, 1);
      }
      state = SampleLevelDp.record(state, b);
    }
    assertEquals("kept", state.value("other").orElseThrow());
    RdpAccountant stored = SampleLevelDp.accountant(state);
    assertEquals(reference, stored);
    assertEquals(15, stored.totalSteps());
    assertEquals(reference.getEpsilon(DELTA), SampleLevelDp.epsilon(state, DELTA), 0);
    // The same as 15 steps composed at once (hand-checked composition: T * rdp per step).
    double once = RdpAccountant.computeEpsilon(0.1, 1.1, 15, DELTA).epsilon();
    assertEquals(once, SampleLevelDp.epsilon(state, DELTA), 1e-12 * once);
    assertEquals(0.0, SampleLevelDp.epsilon(ClientState.EMPTY, DELTA), 0);
  }

  @Test
  void aRoundThatWouldExceedTheBudgetIsDeclinedWithoutCharging() {
    double two = RdpAccountant.computeEpsilon(0.1, 1.1, 10, DELTA).epsilon();
    double three = RdpAccountant.computeEpsilon(0.1, 1.1, 15, DELTA).epsilon();
    SampleLevelDp dp = dp((two + three) / 2);
    ClientState state = ClientState.EMPTY;
    for (int round = 0; round < 2; round++) {
      PrivacyBudget b = dp.admit(state, 40, 5);
      b.charge(0.1, 1.1, 5);
      state = SampleLevelDp.record(state, b);
    }
    ClientState before = state;
    ClientDeclinedException e =
        assertThrows(ClientDeclinedException.class, () -> dp.admit(before, 40, 5));
    assertTrue(e.getMessage().startsWith("privacy budget spent: "), e.getMessage());
    assertTrue(e.getMessage().contains("5 more steps"), e.getMessage());
    assertEquals(10, SampleLevelDp.accountant(before).totalSteps());
    // A client with more examples (lower q) still fits the same round.
    dp.admit(before, 4000, 5);
    // q = min(1, L / n): a client smaller than a batch samples every example.
    assertEquals(1.0, dp.config().dpSgd().sampleRate(3), 0);
    assertEquals(0.1, dp.config().dpSgd().sampleRate(40), 0);
  }

  @Test
  void badSettingsAreRejected() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new SampleLevelDp.Config(new DpSgd.Config(1, 1, 4), -1, DELTA));
    assertThrows(
        IllegalArgumentException.class,
        () -> new SampleLevelDp.Config(new DpSgd.Config(1, 1, 4), 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new DpSgd.Config(1, 1, 4).sampleRate(0));
  }
}
