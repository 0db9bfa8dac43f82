package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrivacyBudgetTest {

  @Test
  void chargesWithinBudgetAndRefusesBeyondWithoutRecording() {
    PrivacyBudget budget = new PrivacyBudget(3.0, 1e-5);
    PrivacySpent after = budget.charge(0.01, 1.0, 100);
    assertTrue(after.epsilon() <= 3.0);
    assertEquals(after, budget.spent());

    double[] rdpBefore = budget.accountant().rdp();
    List<RdpAccountant.Step> historyBefore = budget.accountant().history();
    assertFalse(budget.canCharge(0.01, 1.0, 100_000));
    BudgetExceededException e =
        assertThrows(BudgetExceededException.class, () -> budget.charge(0.01, 1.0, 100_000));
    assertArrayEquals(rdpBefore, budget.accountant().rdp(), 0);
    assertEquals(historyBefore, budget.accountant().history());
    assertEquals(3.0, e.budgetEpsilon(), 0);
    assertTrue(e.wouldReach().epsilon() > 3.0);
    assertEquals(
        budget.accountant().epsilonIfStep(0.01, 1.0, 100_000, 1e-5), e.wouldReach().epsilon(), 0);
    assertTrue(e.getMessage().contains("would bring epsilon to"), e.getMessage());
    assertTrue(e.getMessage().contains("budget epsilon=3.0"), e.getMessage());
    assertTrue(e.getMessage().contains("nothing was recorded"), e.getMessage());
  }

  @Test
  void remainingStepsIsExactlyTheLastStepThatFits() {
    PrivacyBudget budget = new PrivacyBudget(2.0, 1e-5);
    budget.charge(0.02, 1.2, 10);
    long n = budget.remainingSteps(0.02, 1.2);
    assertTrue(n > 0);
    assertTrue(budget.canCharge(0.02, 1.2, n));
    assertFalse(budget.canCharge(0.02, 1.2, n + 1));
    budget.charge(0.02, 1.2, n);
    assertThrows(BudgetExceededException.class, () -> budget.charge(0.02, 1.2, 1));
    assertEquals(0, budget.remainingSteps(0.02, 1.2));
    assertEquals(Long.MAX_VALUE, budget.remainingSteps(0.0, 1.2));
  }

  @Test
  void zeroNoiseIsAlwaysRefused() {
    PrivacyBudget budget = new PrivacyBudget(1e6, 1e-5);
    BudgetExceededException e =
        assertThrows(BudgetExceededException.class, () -> budget.charge(0.01, 0.0, 1));
    assertTrue(e.wouldReach().isInfinite());
    assertEquals(0.0, budget.spent().epsilon(), 0);
  }

  @Test
  void worksOverARestoredAccountant() {
    RdpAccountant acc = new RdpAccountant().step(0.04, 1.5, 2000);
    PrivacyBudget budget = new PrivacyBudget(8.0, 1e-5, RdpAccountant.fromJson(acc.toJson()));
    assertEquals(acc.getEpsilon(1e-5), budget.spent().epsilon(), 0);
    assertThrows(BudgetExceededException.class, () -> budget.charge(0.04, 1.5, 2000));
  }

  @Test
  void invalidBudgetArguments() {
    assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(-1, 1e-5));
    assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(Double.NaN, 1e-5));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(1, 0));
    assertTrue(e.getMessage().contains("delta"));
    PrivacyBudget budget = new PrivacyBudget(1, 1e-5);
    assertThrows(IllegalArgumentException.class, () -> budget.charge(2, 1, 1));
    assertTrue(budget.accountant().history().isEmpty());
  }
}
