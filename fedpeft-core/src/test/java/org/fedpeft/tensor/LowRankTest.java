package org.fedpeft.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link LowRank}: the product norm against the dense product, and the SVD of a sum of low-rank
 * products against a hand-made decomposition and against an independent dense computation (power
 * iteration with deflation on P^T P).
 */
class LowRankTest {

  static float[] random(SplittableRandom rng, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return x;
  }

  static void assertClose(double[][] expected, double[][] actual, double tol) {
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[0].length; j++) {
        assertEquals(expected[i][j], actual[i][j], tol, "entry (" + i + ", " + j + ")");
      }
    }
  }

  static void assertOrthonormal(double[][] vectors, int count) {
    for (int i = 0; i < count; i++) {
      for (int j = 0; j < count; j++) {
        double dot = 0;
        for (int k = 0; k < vectors[i].length; k++) {
          dot += vectors[i][k] * vectors[j][k];
        }
        assertEquals(i == j ? 1.0 : 0.0, dot, 1e-10, "dot of " + i + " and " + j);
      }
    }
  }

  @Test
  void productNormOfASliceIsTheDenseNorm() {
    SplittableRandom rng = new SplittableRandom(1);
    int out = 5;
    int r = 4;
    int in = 3;
    float[] b = random(rng, out * r);
    float[] a = random(rng, r * in);
    double dense = 0;
    for (int o = 0; o < out; o++) {
      for (int c = 0; c < in; c++) {
        double s = 0;
        for (int k = 1; k < 3; k++) {
          s += (double) b[o * r + k] * a[k * in + c];
        }
        dense += s * s;
      }
    }
    assertEquals(dense, LowRank.productNormSquared(b, a, out, r, in, 1, 3), 1e-12);
    assertEquals(0.0, LowRank.productNormSquared(b, a, out, r, in, 2, 2));
  }

  /**
   * By hand: (B_1 A_1 + B_2 A_2) / 2 = [[1, 0], [0, 3], [0, 0]], whose SVD is 3 e_2 e_2^T + 1 e_1
   * e_1^T.
   */
  @Test
  void svdOfAHandMadeSum() {
    List<LowRank.Term> terms =
        List.of(
            new LowRank.Term(0.5, new float[] {2, 0, 0}, new float[] {1, 0}, 1),
            new LowRank.Term(0.5, new float[] {0, 0, 0, 3, 0, 0}, new float[] {1, 0, 0, 2}, 2));
    LowRank.Svd svd = LowRank.svdOfSum(terms, 3, 2);
    assertEquals(2, svd.size());
    assertEquals(3.0, svd.values()[0], 1e-12);
    assertEquals(1.0, svd.values()[1], 1e-12);
    assertEquals(1.0, Math.abs(svd.left()[0][1]), 1e-12);
    assertEquals(1.0, Math.abs(svd.right()[0][1]), 1e-12);
    assertClose(
        new double[][] {{0, 0}, {0, 3}, {0, 0}}, DenseReference.truncation(svd, 1, 3, 2), 1e-12);
    assertClose(
        new double[][] {{1, 0}, {0, 3}, {0, 0}}, DenseReference.truncation(svd, 2, 3, 2), 1e-12);
    assertEquals(10.0, svd.energy(), 1e-12);
  }

  /** Random sums against the dense product and the independent best rank-k approximation. */
  @Test
  void svdOfRandomSumsMatchesAnIndependentComputation() {
    SplittableRandom rng = new SplittableRandom(7);
    int[][] shapes = {{7, 5}, {4, 9}, {6, 6}};
    for (int[] shape : shapes) {
      int out = shape[0];
      int in = shape[1];
      List<LowRank.Term> terms = new ArrayList<>();
      int[] ranks = {1, 2, 3};
      double[] weights = {0.2, 0.3, 0.5};
      for (int i = 0; i < ranks.length; i++) {
        terms.add(
            new LowRank.Term(
                weights[i], random(rng, out * ranks[i]), random(rng, ranks[i] * in), ranks[i]));
      }
      double[][] p = DenseReference.product(terms, out, in);
      LowRank.Svd svd = LowRank.svdOfSum(terms, out, in);
      int full = Math.min(Math.min(out, in), 6);
      assertEquals(full, svd.size(), "components of a " + out + " x " + in + " sum of rank 6");
      for (int j = 1; j < svd.size(); j++) {
        assertTrue(svd.values()[j - 1] >= svd.values()[j], "decreasing");
      }
      int positive = 0;
      while (positive < svd.size() && svd.values()[positive] > 1e-9) {
        positive++;
      }
      assertOrthonormal(svd.left(), positive);
      assertOrthonormal(svd.right(), positive);
      assertClose(p, DenseReference.truncation(svd, svd.size(), out, in), 1e-9);
      for (int k = 1; k <= 3; k++) {
        assertClose(
            DenseReference.bestRankK(p, k), DenseReference.truncation(svd, k, out, in), 1e-7);
      }
    }
  }

  /** Terms with zero factors (zero-padded ranks) and a sum of lower rank than its terms. */
  @Test
  void rankDeficientSumsGetZeroSingularValues() {
    float[] b = {1, 0, 2, 0, 3, 0}; // (3 x 2), second column zero
    float[] a = {1, 1, 0, 0}; // (2 x 2), second row zero
    List<LowRank.Term> terms = List.of(new LowRank.Term(1, b, a, 2), new LowRank.Term(-1, b, a, 2));
    LowRank.Svd zero = LowRank.svdOfSum(terms, 3, 2);
    for (double s : zero.values()) {
      assertEquals(0.0, s, 1e-12);
    }
    LowRank.Svd one = LowRank.svdOfSum(List.of(new LowRank.Term(2, b, a, 2)), 3, 2);
    assertEquals(2, one.size());
    assertEquals(2 * Math.sqrt(14) * Math.sqrt(2), one.values()[0], 1e-12);
    assertEquals(0.0, one.values()[1], 1e-12);
    assertClose(
        new double[][] {{2, 2}, {4, 4}, {6, 6}}, DenseReference.truncation(one, 1, 3, 2), 1e-12);
    assertOrthonormal(one.right(), 1);
  }
}
