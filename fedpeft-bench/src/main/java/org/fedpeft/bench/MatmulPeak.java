package org.fedpeft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.engine.Engines;

/**
 * libtorch's float32 matrix-product rate through DJL on square matrices: the median time of
 * repeated {@code a.matMul(b)} at a few sizes, 2 n^3 FLOPs each; the best size is the peak.
 */
final class MatmulPeak {

  private MatmulPeak() {}

  /** {size, GFLOP/s} of the best size. */
  static double[] measure(int reps) {
    double best = 0;
    int bestN = 0;
    try (NDManager m = Engines.pytorch().newBaseManager()) {
      for (int n : new int[] {1024, 2048, 3072}) {
        NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
        NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < reps + 2; i++) {
          try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            long t0 = System.nanoTime();
            NDArray c = a.matMul(b);
            c.getFloat(0, 0); // synchronise (CPU ops are synchronous; this also touches c)
            double s = (System.nanoTime() - t0) / 1e9;
            if (i >= 2) {
              times.add(s);
            }
          }
        }
        double gflops = 2.0 * n * n * n / BenchSupport.median(times) / 1e9;
        System.out.println(
            BenchSupport.fmt(
                "matmul %dx%d fp32: %s, %.1f GFLOP/s", n, n, BenchSupport.summary(times), gflops));
        if (gflops > best) {
          best = gflops;
          bestN = n;
        }
      }
    }
    return new double[] {bestN, best};
  }

  public static void main(String[] args) {
    System.out.println("load: " + BenchSupport.load());
    double[] r = measure(args.length > 0 ? Integer.parseInt(args[0]) : 10);
    System.out.println(BenchSupport.fmt("matmul peak: %.1f GFLOP/s at n=%d", r[1], (int) r[0]));
    System.out.println("load: " + BenchSupport.load());
  }
}
