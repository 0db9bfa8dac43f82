package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BudgetsTest {

  @Test
  void emptyMeansEveryClientHasTheWholeBudget() {
    assertArrayEquals(new double[] {1, 1, 1}, Budgets.parse("", 3, 1));
    assertFalse(Budgets.configured(" "));
  }

  @Test
  void fractionsAreOnePerClientOrOneForAll() {
    assertArrayEquals(new double[] {0.25, 0.5, 1}, Budgets.parse("0.25, 0.5,1", 3, 1));
    assertArrayEquals(new double[] {0.5, 0.5}, Budgets.parse("0.5", 2, 1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Budgets.parse("0.5,1", 3, 1));
    assertEquals(
        "client.budgets lists 2 budgets for 3 clients (give one per client, or one for all)",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Budgets.parse("1.5", 3, 1));
    assertThrows(IllegalArgumentException.class, () -> Budgets.parse("0", 3, 1));
    assertTrue(Budgets.isValid("0.25,0.5,0.75"));
    assertFalse(Budgets.isValid("half"));
  }

  @Test
  void distributionsAreSeededAndFollowTheirShares() {
    int n = 4000;
    double[] skewed = Budgets.parse("skewed", n, 7);
    assertArrayEquals(skewed, Budgets.parse("skewed", n, 7), "same seed, same budgets");
    int[] count = new int[4];
    for (double b : skewed) {
      count[(int) Math.round(b * 4) - 1]++;
    }
    // (0.4, 0.3, 0.2, 0.1) of 4000, within 4 standard deviations of a binomial
    double[] p = {0.4, 0.3, 0.2, 0.1};
    for (int i = 0; i < 4; i++) {
      double sd = Math.sqrt(n * p[i] * (1 - p[i]));
      assertEquals(n * p[i], count[i], 4 * sd, "level " + (i + 1) + "/4");
    }
    for (double b : Budgets.parse("bell", 50, 3)) {
      assertTrue(b == 0.25 || b == 0.5 || b == 0.75 || b == 1.0);
    }
  }
}
