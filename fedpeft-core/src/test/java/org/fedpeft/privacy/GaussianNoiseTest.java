package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Statistical checks of the normal sampler. Bounds are 5 standard errors of each statistic for n =
 * 400,000 draws (a false alarm per check has probability about 6e-7 for the secure source; the
 * seeded one is deterministic):
 *
 * <ul>
 *   <li>mean: SE = 1/sqrt(n) = 0.00158, bound 0.0079;
 *   <li>variance: SE = sqrt(2/n) = 0.00224, bound 0.0112;
 *   <li>fraction beyond 3 sigma (p = 0.0026998): SE = sqrt(p(1-p)/n) = 8.2e-5, bound 4.1e-4;
 *   <li>fourth moment (3 for a normal): SE = sqrt(96/n) = 0.0155, bound 0.078.
 * </ul>
 */
class GaussianNoiseTest {

  private static final int N = 400_000;
  private static final double P_BEYOND_3_SIGMA = 0.0026997960632601866;

  private static void assertStandardNormal(float[] x, double std, String what) {
    double sum = 0;
    for (float v : x) {
      sum += v / std;
    }
    double mean = sum / x.length;
    double m2 = 0;
    double m4 = 0;
    long beyond = 0;
    for (float v : x) {
      double d = v / std - mean;
      m2 += d * d;
      m4 += d * d * d * d;
      if (Math.abs(v / std) > 3) {
        beyond++;
      }
    }
    double var = m2 / (x.length - 1);
    double kurt = (m4 / x.length) / (var * var);
    double n = x.length;
    assertEquals(0.0, mean, 5 / Math.sqrt(n), what + " mean");
    assertEquals(1.0, var, 5 * Math.sqrt(2 / n), what + " variance");
    double p = beyond / n;
    assertEquals(
        P_BEYOND_3_SIGMA,
        p,
        5 * Math.sqrt(P_BEYOND_3_SIGMA * (1 - P_BEYOND_3_SIGMA) / n),
        what + " tail");
    assertEquals(3.0, kurt, 5 * Math.sqrt(96 / n), what + " fourth moment");
  }

  @Test
  void secureSourceIsStandardNormal() {
    GaussianNoise noise = GaussianNoise.secure();
    assertTrue(noise.isCryptographicallySecure());
    assertTrue(noise.description().startsWith("SecureRandom("), noise.description());
    float[] x = new float[N];
    noise.fill(x, 1.0);
    assertStandardNormal(x, 1.0, "secure");
  }

  @Test
  void seededSourceIsStandardNormalDeterministicAndMarkedNotPrivate() {
    GaussianNoise noise = GaussianNoise.seededForTestsOnly(42);
    assertFalse(noise.isCryptographicallySecure());
    assertTrue(noise.description().contains("NOT private"));
    float[] x = new float[N];
    noise.fill(x, 2.5);
    assertStandardNormal(x, 2.5, "seeded std 2.5");

    float[] a = new float[1000];
    float[] b = new float[1000];
    GaussianNoise.seededForTestsOnly(7).fill(a, 1.0);
    GaussianNoise.seededForTestsOnly(7).fill(b, 1.0);
    assertArrayEquals(a, b);
    GaussianNoise.seededForTestsOnly(8).fill(b, 1.0);
    assertFalse(Arrays.equals(a, b));
  }

  @Test
  void nextGaussianAndDoubleFillAgreeWithTheStatistics() {
    GaussianNoise noise = GaussianNoise.seededForTestsOnly(123);
    float[] x = new float[N];
    for (int i = 0; i < N; i++) {
      x[i] = (float) noise.nextGaussian();
    }
    assertStandardNormal(x, 1.0, "nextGaussian");
    double[] d = new double[10];
    noise.fill(d, 0.0);
    assertArrayEquals(new double[10], d, 0);
  }

  @Test
  void addToAddsScaledNoise() {
    float[] v = new float[N];
    Arrays.fill(v, 10f);
    GaussianNoise.secure().addTo(v, 0.5);
    for (int i = 0; i < N; i++) {
      v[i] -= 10f;
    }
    // float rounding of 10 + noise adds ~5e-7 absolute error: negligible at these bounds.
    assertStandardNormal(v, 0.5, "addTo");
  }

  @Test
  void rejectsInvalidStd() {
    GaussianNoise noise = GaussianNoise.seededForTestsOnly(1);
    assertThrows(IllegalArgumentException.class, () -> noise.fill(new float[1], -1));
    assertThrows(IllegalArgumentException.class, () -> noise.fill(new float[1], Double.NaN));
    assertThrows(
        IllegalArgumentException.class, () -> noise.addTo(new float[1], Double.POSITIVE_INFINITY));
  }
}
