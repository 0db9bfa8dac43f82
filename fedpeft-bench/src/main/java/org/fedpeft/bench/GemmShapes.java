package org.fedpeft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.fedpeft.engine.Engines;

/**
 * GFLOP/s of libtorch's linear layer (x W^T + b, as the encoder calls it) at the shapes of the 16 x
 * 128-token workload, next to a large square product: how far the model's products are from the
 * engine's peak; under each, the layer's input gradient (the backward's product with the frozen
 * weight) with W row-major, as autograd forms it, and with W a transposed view. Usage: {@code
 * GemmShapes [REPS [cold]]}: with {@code cold}, an in-place add over 256 MB runs before each timed
 * call, so the operands come from memory rather than the caches, as they mostly do inside a
 * training step (whose activations and weights far exceed the caches).
 */
public final class GemmShapes {

  public static void main(String[] args) {
    BenchSupport.Args cli = BenchSupport.Args.of(args, 0, 2, "GemmShapes [REPS [cold|warm]]");
    int reps = cli.count(0, "REPS", 20);
    boolean cold = cli.choice(1, "second argument", "warm", "cold", "warm").equals("cold");
    System.out.println("load: " + BenchSupport.load());
    System.out.println(cold ? "operands cold (256 MB touched before each call)" : "operands warm");
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
      evict = cold ? m.zeros(new Shape(64L << 20)) : null;
      for (long[] s : shapes) {
        NDArray x = m.randomUniform(-1, 1, new Shape(s[0], s[1]));
        NDArray w = m.randomUniform(-1, 1, new Shape(s[2], s[1]));
        NDArray b = s[2] == 8 || s[1] == 8 ? null : m.randomUniform(-1, 1, new Shape(s[2]));
        double forward =
            median(reps, () -> x.getNDArrayInternal().linear(x, w, b).singletonOrThrow());
        System.out.println(
            BenchSupport.fmt(
                "linear (%d x %d) x (%d x %d)^T: median %.3f ms, %.1f GFLOP/s",
                s[0], s[1], s[2], s[1], forward * 1e3, 2.0 * s[0] * s[1] * s[2] / forward / 1e9));
        if (b == null) {
          // The same product in the other orientation, W x^T, read through its transposed view.
          double turned = median(reps, () -> w.matMul(x.transpose()).transpose());
          System.out.println(
              BenchSupport.fmt(
                  "  as (W x^T)^T: median %.3f ms, %.1f GFLOP/s",
                  turned * 1e3, 2.0 * s[0] * s[1] * s[2] / turned / 1e9));
        }
        // The layer's input gradient, grad (t x out) times W (out x in): as autograd forms it from
        // the row-major W, and through the transposed view of a row-major copy of W^T.
        NDArray g = m.randomUniform(-1, 1, new Shape(s[0], s[2]));
        NDArray wtView = w.transpose().duplicate().transpose();
        double rowMajor = median(reps, () -> g.matMul(w));
        double viewed = median(reps, () -> g.matMul(wtView));
        System.out.println(
            BenchSupport.fmt(
                "  input gradient (%d x %d) x (%d x %d): median %.3f ms, %.1f GFLOP/s;"
                    + " W as a transposed view: %.3f ms, %.1f GFLOP/s",
                s[0],
                s[2],
                s[2],
                s[1],
                rowMajor * 1e3,
                2.0 * s[0] * s[1] * s[2] / rowMajor / 1e9,
                viewed * 1e3,
                2.0 * s[0] * s[1] * s[2] / viewed / 1e9));
      }
    }
    System.out.println("load: " + BenchSupport.load());
  }

  /** 256 MB added to before each timed call in the {@code cold} mode; null otherwise. */
  private static NDArray evict;

  /**
   * Median seconds of {@code reps} calls of {@code product} (after 3 warm-up calls), each after
   * {@link #evict} is rewritten when set.
   */
  private static double median(int reps, Supplier<NDArray> product) {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < reps + 3; i++) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        if (evict != null) {
          evict.addi(1f);
        }
        long t0 = System.nanoTime();
        product.get().getFloat(0, 0);
        double sec = (System.nanoTime() - t0) / 1e9;
        if (i >= 3) {
          times.add(sec);
        }
      }
    }
    return BenchSupport.median(times);
  }
}
