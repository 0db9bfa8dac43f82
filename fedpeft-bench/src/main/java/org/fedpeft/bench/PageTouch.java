package org.fedpeft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.engine.Engines;

/**
 * What memory the kernel has to hand out costs on this machine: libtorch's {@code ones} of 64 MiB,
 * which glibc maps afresh (above its largest mmap threshold, 32 MB), so that every 4 KiB page is
 * faulted in and written once, against an in-place add over the same amount of memory already
 * mapped. In a virtual machine whose host backs guest memory lazily the first figure changes from
 * day to day (docs/benchmarks.md section 2); it decides what a trim of the native heap costs
 * (engine.NativeHeap) and how much fresh tensors slow a step.
 */
final class PageTouch {

  private static final long BYTES = 64L << 20;

  private PageTouch() {}

  /** "memory: first touch X us per 4 KiB page (Y GB/s), in-place add over mapped memory Z GB/s". */
  static String measure(int reps) {
    long n = BYTES / Float.BYTES;
    List<Double> fresh = new ArrayList<>();
    List<Double> warm = new ArrayList<>();
    try (NDManager m = Engines.pytorch().newBaseManager();
        NDArray kept = m.zeros(new Shape(n))) {
      for (int i = 0; i < reps + 1; i++) {
        long t0 = System.nanoTime();
        try (NDArray a = m.ones(new Shape(n))) {
          a.getFloat(0);
        }
        long t1 = System.nanoTime();
        kept.addi(1f);
        kept.getFloat(0);
        long t2 = System.nanoTime();
        if (i > 0) {
          fresh.add((t1 - t0) / 1e9);
          warm.add((t2 - t1) / 1e9);
        }
      }
    }
    double f = BenchSupport.median(fresh);
    double w = BenchSupport.median(warm);
    return BenchSupport.fmt(
        "memory: first touch of fresh pages %.2f us per 4 KiB page (%.2f GB/s),"
            + " in-place add over mapped memory %.1f GB/s",
        f / (BYTES / 4096) * 1e6, BYTES / f / 1e9, 2 * BYTES / w / 1e9);
  }
}
