package org.fedpeft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.engine.Engines;

/**
 * GFLOP/s of libtorch's linear layer (x W^T + b, as the encoder calls it) at the shapes of the 16 x
 * 128-token workload, next to a large square product: how far the model's products are from the
 * engine's peak. Usage: {@code GemmShapes [REPS]}
 */
public final class GemmShapes {

  public static void main(String[] args) {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    System.out.println("load: " + BenchSupport.load());
    long t = 2048;
    long[][] shapes = {
      {t, 384, 1152},
      {t, 384, 384},
      {t, 384, 1536},
      {t, 1536, 384},
      {t, 1152, 384},
      {t, 384, 8},
      {t, 8, 384},
      {3072, 3072, 3072}
    };
    try (NDManager m = Engines.pytorch().newBaseManager()) {
      for (long[] s : shapes) {
        NDArray x = m.randomUniform(-1, 1, new Shape(s[0], s[1]));
        NDArray w = m.randomUniform(-1, 1, new Shape(s[2], s[1]));
        NDArray b = s[2] == 8 || s[1] == 8 ? null : m.randomUniform(-1, 1, new Shape(s[2]));
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < reps + 3; i++) {
          try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            long t0 = System.nanoTime();
            NDArray y = x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
            y.getFloat(0, 0);
            double sec = (System.nanoTime() - t0) / 1e9;
            if (i >= 3) {
              times.add(sec);
            }
          }
        }
        double med = BenchSupport.median(times);
        System.out.println(
            BenchSupport.fmt(
                "linear (%d x %d) x (%d x %d)^T: median %.3f ms, %.1f GFLOP/s",
                s[0], s[1], s[2], s[1], med * 1e3, 2.0 * s[0] * s[1] * s[2] / med / 1e9));
      }
    }
    System.out.println("load: " + BenchSupport.load());
  }
}
