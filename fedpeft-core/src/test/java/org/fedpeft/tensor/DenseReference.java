package org.fedpeft.tensor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Dense reference computations for tests of {@link LowRank} and of the strategies built on it, by
 * routes independent of it.
 */
public final class DenseReference {

  private DenseReference() {}

  /** P = sum_k w_k B_k A_k, densely, in double. */
  public static double[][] product(List<LowRank.Term> terms, int out, int in) {
    double[][] p = new double[out][in];
    for (LowRank.Term t : terms) {
      int r = t.rank();
      for (int o = 0; o < out; o++) {
        for (int c = 0; c < in; c++) {
          double s = 0;
          for (int k = 0; k < r; k++) {
            s += (double) t.b()[o * r + k] * t.a()[k * in + c];
          }
          p[o][c] += t.weight() * s;
        }
      }
    }
    return p;
  }

  /** {@code sum_{j < k} s_j u_j v_j^T}. */
  public static double[][] truncation(LowRank.Svd svd, int k, int out, int in) {
    double[][] p = new double[out][in];
    for (int j = 0; j < k; j++) {
      for (int o = 0; o < out; o++) {
        for (int c = 0; c < in; c++) {
          p[o][c] += svd.values()[j] * svd.left()[j][o] * svd.right()[j][c];
        }
      }
    }
    return p;
  }

  /**
   * The best rank-k approximation of P by an independent route: the top k eigenvectors v_j of P^T P
   * by power iteration with deflation, then sum_j (P v_j) v_j^T.
   */
  public static double[][] bestRankK(double[][] p, int k) {
    int out = p.length;
    int in = p[0].length;
    double[][] g = new double[in][in];
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < in; j++) {
        for (int o = 0; o < out; o++) {
          g[i][j] += p[o][i] * p[o][j];
        }
      }
    }
    double[][] approx = new double[out][in];
    SplittableRandom rng = new SplittableRandom(3);
    for (int comp = 0; comp < k; comp++) {
      double[] v = new double[in];
      for (int i = 0; i < in; i++) {
        v[i] = rng.nextDouble() - 0.5;
      }
      double lambda = 0;
      for (int it = 0; it < 5000; it++) {
        double[] w = new double[in];
        for (int i = 0; i < in; i++) {
          for (int j = 0; j < in; j++) {
            w[i] += g[i][j] * v[j];
          }
        }
        double norm = 0;
        for (double x : w) {
          norm += x * x;
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < in; i++) {
          v[i] = w[i] / norm;
        }
        lambda = norm;
      }
      double[] pv = new double[out];
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          pv[o] += p[o][i] * v[i];
        }
      }
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          approx[o][i] += pv[o] * v[i];
        }
      }
      for (int i = 0; i < in; i++) { // deflate
        for (int j = 0; j < in; j++) {
          g[i][j] -= lambda * v[i] * v[j];
        }
      }
    }
    return approx;
  }
}
