package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogMathTest {

  /** {x, log(erfc(x))}, computed with mpmath at 40 significant digits. */
  private static final double[][] LOG_ERFC = {
    {-40, 0.69314718055994530942},
    {-6, 0.69314718055994529866},
    {-1, 0.61123231767807049464},
    {-0.3, 0.28414589714140825864},
    {0, 0.0},
    {1e-8, -1.1283791734617103078e-8},
    {0.1, -0.11930497373739559833},
    {0.5, -0.73501112983708440303},
    {1, -1.8496055099332482486},
    {1.4999, -3.384141218397752249},
    {1.5, -3.3844920895515527203},
    {2, -5.3649412646166375745},
    {3.7, -15.604367894999846406},
    {5, -27.200889545537434422},
    {10, -102.87988902484488857},
    {26, -679.83119976319423026},
    {27.5, -760.13721101534819463},
    {100, -10005.177585122664333},
    {1e4, -100000009.7827053199},
    {1e8, -10000000000000018.993},
  };

  @Test
  void logErfcMatchesHighPrecisionValuesIncludingDeepTails() {
    for (double[] row : LOG_ERFC) {
      double x = row[0];
      double want = row[1];
      double got = LogMath.logErfc(x);
      // Absolute 2e-15 near 0, relative 2e-15 where |log erfc| is large.
      double tol = 2e-15 * Math.max(1.0, Math.abs(want));
      if (Math.abs(want) < 1e-6) {
        tol = 1e-13 * Math.abs(want) + 1e-300;
      }
      assertEquals(want, got, tol, "logErfc(" + x + ")");
    }
  }

  @Test
  void logErfcIsMonotoneAcrossTheRegimeBoundaries() {
    double prev = LogMath.logErfc(-50);
    for (double x = -50; x <= 50; x += 1e-3) {
      double v = LogMath.logErfc(x);
      assertTrue(v <= prev + 1e-15, "not decreasing at " + x);
      prev = v;
    }
  }

  @Test
  void logErfcSpecialValues() {
    assertEquals(Math.log(2), LogMath.logErfc(Double.NEGATIVE_INFINITY), 0);
    assertEquals(Double.NEGATIVE_INFINITY, LogMath.logErfc(Double.POSITIVE_INFINITY));
    assertTrue(Double.isNaN(LogMath.logErfc(Double.NaN)));
    assertEquals(1.0, LogMath.erfc(0), 0);
  }

  @Test
  void logAddAndSub() {
    assertEquals(Math.log(5), LogMath.logAdd(Math.log(2), Math.log(3)), 1e-15);
    assertEquals(Math.log(3), LogMath.logSub(Math.log(5), Math.log(2)), 1e-15);
    assertEquals(7.0, LogMath.logAdd(Double.NEGATIVE_INFINITY, 7.0), 0);
    assertEquals(1000 + Math.log(2), LogMath.logAdd(1000, 1000), 1e-12);
    assertEquals(Double.NEGATIVE_INFINITY, LogMath.logSub(3, 3));
    assertThrows(ArithmeticException.class, () -> LogMath.logSub(1, 2));
    assertEquals(Math.log(Math.expm1(1e-10)), LogMath.logExpm1(1e-10), 1e-15);
    assertEquals(800.0, LogMath.logExpm1(800), 1e-12);
    assertEquals(800.0, LogMath.log1pExp(800), 1e-12);
    assertEquals(Math.log1p(Math.exp(-3)), LogMath.log1pExp(-3), 1e-16);
  }
}
