package org.fedpeft.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Host-side linear algebra on products of low-rank factors, in double precision: the Frobenius norm
 * of a slice of a product {@code B A}, and the singular value decomposition of a weighted sum of
 * such products without forming the dense sum. Matrices are float arrays in row-major order; B is
 * (out x r) and A is (r x in), as LoRA stores them. Every routine is a deterministic function of
 * its inputs (fixed loop order, no randomness), so a server replaying a round gets the same bits.
 */
public final class LowRank {

  private LowRank() {}

  /**
   * {@code ||B[:, from:to] A[from:to, :]||_F^2}, computed from the two (to - from) x (to - from)
   * Gram matrices: {@code trace((B_s^T B_s)(A_s A_s^T))}.
   *
   * @param b B, (out x r) row-major
   * @param a A, (r x in) row-major
   * @param from the first rank component of the slice
   * @param to one past the last, {@code from <= to <= r}
   */
  public static double productNormSquared(
      float[] b, float[] a, int out, int r, int in, int from, int to) {
    if (from < 0 || to > r || from > to) {
      throw new IllegalArgumentException(
          "rank slice [" + from + ", " + to + ") is not within rank " + r);
    }
    check(b, out * r, "B");
    check(a, r * in, "A");
    int t = to - from;
    double[][] gb = new double[t][t];
    double[][] ga = new double[t][t];
    for (int i = 0; i < t; i++) {
      for (int j = i; j < t; j++) {
        double sb = 0;
        for (int o = 0; o < out; o++) {
          sb += (double) b[o * r + from + i] * b[o * r + from + j];
        }
        double sa = 0;
        int ri = (from + i) * in;
        int rj = (from + j) * in;
        for (int c = 0; c < in; c++) {
          sa += (double) a[ri + c] * a[rj + c];
        }
        gb[i][j] = gb[j][i] = sb;
        ga[i][j] = ga[j][i] = sa;
      }
    }
    double s = 0;
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < t; j++) {
        s += gb[i][j] * ga[i][j];
      }
    }
    return Math.max(0, s);
  }

  /**
   * One term {@code weight * B A} of a sum.
   *
   * @param weight a finite multiplier
   * @param b B, (out x rank) row-major
   * @param a A, (rank x in) row-major
   * @param rank the inner dimension, at least 0
   */
  public record Term(double weight, float[] b, float[] a, int rank) {
    /** Checks the fields. */
    public Term {
      Objects.requireNonNull(b, "b");
      Objects.requireNonNull(a, "a");
      if (rank < 0 || !Double.isFinite(weight)) {
        throw new IllegalArgumentException("term of rank " + rank + " and weight " + weight);
      }
    }
  }

  /**
   * A thin singular value decomposition {@code P = sum_j s_j u_j v_j^T}, components in decreasing
   * order of s_j.
   *
   * @param values the singular values s_j, non-negative, decreasing
   * @param left the u_j, each of length out
   * @param right the v_j, each of length in; where s_j is positive, u_j and v_j have unit length
   *     and are orthogonal to the other components' vectors; where s_j = 0 one of them may be zero
   */
  public record Svd(double[] values, double[][] left, double[][] right) {

    /** The number of components. */
    public int size() {
      return values.length;
    }

    /** The sum of the squared singular values: {@code ||P||_F^2}. */
    public double energy() {
      double e = 0;
      for (double s : values) {
        e += s * s;
      }
      return e;
    }
  }

  /**
   * The SVD of {@code P = sum_k w_k B_k A_k} (out x in) without forming P: with {@code B_cat = [w_1
   * B_1 ... w_K B_K]} and {@code A_cat} the A_k stacked by rows (R = sum of the ranks), Householder
   * QR gives {@code B_cat = Q_b R_b} and {@code A_cat^T = Q_a R_a}; the small matrix {@code R_b
   * R_a^T} is decomposed by one-sided Jacobi rotations, and its singular vectors are mapped back
   * through Q_b and Q_a. The result has min(out, in, R) components; a rank-deficient sum gets zero
   * singular values at the end.
   *
   * @throws IllegalArgumentException if a term's factors do not have its rank and the given sizes
   */
  public static Svd svdOfSum(List<Term> terms, int out, int in) {
    int total = 0;
    for (Term t : terms) {
      check(t.b(), out * t.rank(), "B");
      check(t.a(), t.rank() * in, "A");
      total += t.rank();
    }
    if (total == 0 || out == 0 || in == 0) {
      return new Svd(new double[0], new double[0][], new double[0][]);
    }
    double[][] bcat = new double[out][total]; // (out x R)
    double[][] acatT = new double[in][total]; // (in x R): A_cat transposed
    int col = 0;
    for (Term t : terms) {
      int r = t.rank();
      for (int k = 0; k < r; k++) {
        for (int o = 0; o < out; o++) {
          bcat[o][col + k] = t.weight() * t.b()[o * r + k];
        }
        for (int c = 0; c < in; c++) {
          acatT[c][col + k] = t.a()[k * in + c];
        }
      }
      col += r;
    }
    double[][][] qrB = householderQr(bcat); // Q_b (out x p), R_b (p x R)
    double[][][] qrA = householderQr(acatT); // Q_a (in x q), R_a (q x R)
    double[][] qb = qrB[0];
    double[][] rb = qrB[1];
    double[][] qa = qrA[0];
    double[][] ra = qrA[1];
    int p = rb.length;
    int q = ra.length;
    double[][] m = new double[p][q]; // R_b R_a^T
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < q; j++) {
        double s = 0;
        for (int k = 0; k < total; k++) {
          s += rb[i][k] * ra[j][k];
        }
        m[i][j] = s;
      }
    }
    // M = Um S Vm^T; with p < q decompose M^T and swap the roles.
    boolean transposed = p < q;
    double[][][] usv = jacobiSvd(transposed ? transpose(m) : m);
    double[][] um = transposed ? usv[2] : usv[0]; // (p x k)
    double[][] vm = transposed ? usv[0] : usv[2]; // (q x k)
    double[] s = usv[1][0];
    int k = s.length;
    Integer[] order = new Integer[k];
    for (int i = 0; i < k; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> s[x] != s[y] ? Double.compare(s[y], s[x]) : Integer.compare(x, y));
    double[] values = new double[k];
    double[][] left = new double[k][out];
    double[][] right = new double[k][in];
    for (int j = 0; j < k; j++) {
      int src = order[j];
      values[j] = s[src];
      for (int o = 0; o < out; o++) {
        double v = 0;
        for (int i = 0; i < p; i++) {
          v += qb[o][i] * um[i][src];
        }
        left[j][o] = v;
      }
      for (int c = 0; c < in; c++) {
        double v = 0;
        for (int i = 0; i < q; i++) {
          v += qa[c][i] * vm[i][src];
        }
        right[j][c] = v;
      }
    }
    return new Svd(values, left, right);
  }

  /**
   * Thin Householder QR of an m x n matrix: {@code {Q (m x p), R (p x n)}} with p = min(m, n), Q
   * with orthonormal columns, R upper trapezoidal. A zero column leaves its reflection out (Q's
   * column is then the unit vector), so rank-deficient input is fine.
   */
  static double[][][] householderQr(double[][] x) {
    int m = x.length;
    int n = x[0].length;
    int p = Math.min(m, n);
    double[][] r = new double[m][];
    for (int i = 0; i < m; i++) {
      r[i] = x[i].clone();
    }
    List<double[]> reflectors = new ArrayList<>(); // v of each step, length m - j (null: none)
    for (int j = 0; j < p; j++) {
      double norm = 0;
      for (int i = j; i < m; i++) {
        norm += r[i][j] * r[i][j];
      }
      norm = Math.sqrt(norm);
      if (norm == 0) {
        reflectors.add(null);
        continue;
      }
      double alpha = r[j][j] >= 0 ? -norm : norm;
      double[] v = new double[m - j];
      for (int i = j; i < m; i++) {
        v[i - j] = r[i][j];
      }
      v[0] -= alpha;
      double vv = 0;
      for (double e : v) {
        vv += e * e;
      }
      if (vv == 0) {
        reflectors.add(null);
        continue;
      }
      for (int c = j; c < n; c++) {
        double dot = 0;
        for (int i = j; i < m; i++) {
          dot += v[i - j] * r[i][c];
        }
        double f = 2 * dot / vv;
        for (int i = j; i < m; i++) {
          r[i][c] -= f * v[i - j];
        }
      }
      reflectors.add(v);
    }
    double[][] q = new double[m][p];
    for (int i = 0; i < p; i++) {
      q[i][i] = 1;
    }
    for (int j = p - 1; j >= 0; j--) {
      double[] v = reflectors.get(j);
      if (v == null) {
        continue;
      }
      double vv = 0;
      for (double e : v) {
        vv += e * e;
      }
      for (int c = 0; c < p; c++) {
        double dot = 0;
        for (int i = j; i < m; i++) {
          dot += v[i - j] * q[i][c];
        }
        double f = 2 * dot / vv;
        for (int i = j; i < m; i++) {
          q[i][c] -= f * v[i - j];
        }
      }
    }
    double[][] upper = new double[p][n];
    for (int i = 0; i < p; i++) {
      for (int c = i; c < n; c++) {
        upper[i][c] = r[i][c];
      }
    }
    return new double[][][] {q, upper};
  }

  /**
   * One-sided Jacobi SVD of an m x n matrix with m >= n: {@code {U (m x n), {s} (1 x n), V (n x
   * n)}}, unsorted, with {@code M = U diag(s) V^T}; V is orthogonal, U's columns have unit length
   * where s is positive and are zero where it is 0.
   */
  static double[][][] jacobiSvd(double[][] mat) {
    int m = mat.length;
    int n = mat[0].length;
    if (m < n) {
      throw new IllegalArgumentException("jacobiSvd needs rows >= columns, got " + m + " x " + n);
    }
    double[][] w = new double[m][];
    for (int i = 0; i < m; i++) {
      w[i] = mat[i].clone();
    }
    double[][] v = new double[n][n];
    for (int i = 0; i < n; i++) {
      v[i][i] = 1;
    }
    double eps = 1e-15;
    for (int sweep = 0; sweep < 100; sweep++) {
      boolean rotated = false;
      for (int i = 0; i < n - 1; i++) {
        for (int j = i + 1; j < n; j++) {
          double alpha = 0;
          double beta = 0;
          double gamma = 0;
          for (int k = 0; k < m; k++) {
            alpha += w[k][i] * w[k][i];
            beta += w[k][j] * w[k][j];
            gamma += w[k][i] * w[k][j];
          }
          if (gamma == 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) {
            continue;
          }
          rotated = true;
          double zeta = (beta - alpha) / (2 * gamma);
          double t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
          double c = 1 / Math.sqrt(1 + t * t);
          double s = c * t;
          for (int k = 0; k < m; k++) {
            double wi = w[k][i];
            double wj = w[k][j];
            w[k][i] = c * wi - s * wj;
            w[k][j] = s * wi + c * wj;
          }
          for (int k = 0; k < n; k++) {
            double vi = v[k][i];
            double vj = v[k][j];
            v[k][i] = c * vi - s * vj;
            v[k][j] = s * vi + c * vj;
          }
        }
      }
      if (!rotated) {
        break;
      }
    }
    double[] s = new double[n];
    double[][] u = new double[m][n];
    for (int j = 0; j < n; j++) {
      double norm = 0;
      for (int k = 0; k < m; k++) {
        norm += w[k][j] * w[k][j];
      }
      norm = Math.sqrt(norm);
      s[j] = norm;
      if (norm > 0) {
        for (int k = 0; k < m; k++) {
          u[k][j] = w[k][j] / norm;
        }
      }
    }
    return new double[][][] {u, {s}, v};
  }

  private static double[][] transpose(double[][] x) {
    double[][] t = new double[x[0].length][x.length];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[0].length; j++) {
        t[j][i] = x[i][j];
      }
    }
    return t;
  }

  private static void check(float[] x, long expected, String what) {
    if (x.length != expected) {
      throw new IllegalArgumentException(
          what + " has " + x.length + " values, expected " + expected);
    }
  }
}
