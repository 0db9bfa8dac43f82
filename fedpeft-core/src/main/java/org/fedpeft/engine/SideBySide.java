package org.fedpeft.engine;

import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Runs a batch as two halves side by side, each on its own thread with half of the calling thread's
 * PyTorch intra-op threads, instead of the whole batch with every thread on each operator. On a
 * 2-core CPU this takes a 16 x 128 training step of MiniLM with LoRA to about 0.93 of its time and
 * a 16 x 32 one to about 0.80 (docs/performance.md, "Batch halves side by side"): no hand-offs
 * between threads inside the ~4,000 operators of a step, and each core works on half the
 * activations.
 *
 * <p>The halves go to a pool of daemon threads, so they run at the same time unless the first ends
 * before the second is handed over. Each half runs under the calling thread's gradient mode. The
 * caller waits for both halves, also through interrupts (they use its model until they end), and
 * gets the first failure rethrown as it was. With one intra-op thread the halves run one after the
 * other on the calling thread.
 */
public final class SideBySide {

  private SideBySide() {}

  /**
   * Per intra-op thread count, daemon threads with that count, created as clients training side by
   * side need them and ended a minute unused. Each sets its count once, when it starts, without
   * changing the default of other threads ({@link Engines#intraOpThreadsOfThisThreadOnly}): a
   * thread that relies on that default must get the same count before and after a step in halves.
   */
  private static final Map<Integer, ExecutorService> POOLS = new ConcurrentHashMap<>();

  private static ExecutorService pool(int threads) {
    return POOLS.computeIfAbsent(
        threads,
        n ->
            Executors.newCachedThreadPool(
                r -> {
                  Thread t =
                      new Thread(
                          () -> {
                            Engines.intraOpThreadsOfThisThreadOnly(n);
                            r.run();
                          },
                          "fedpeft-batch-half");
                  t.setDaemon(true);
                  return t;
                }));
  }

  /**
   * Whether a batch of {@code size} examples runs side by side on the calling thread's threads: at
   * least 2 examples and at least 2 intra-op threads. The caller also checks that its model allows
   * two batches at once ({@link org.fedpeft.model.EncoderHooks#concurrentBatches()}).
   */
  public static boolean sideBySide(int size) {
    return size >= 2 && Engines.intraOpThreadsOfThisThread() >= 2;
  }

  /** The first {@code n - n/2} indices, then the rest. */
  public static int[][] halves(int[] indices) {
    int n = indices.length;
    return new int[][] {
      Arrays.copyOfRange(indices, 0, n - n / 2), Arrays.copyOfRange(indices, n - n / 2, n)
    };
  }

  /**
   * Runs {@code half.apply(0)} and {@code half.apply(1)}: with two or more intra-op threads on the
   * calling thread ({@code t}), at the same time on two pool threads, the first with {@code t -
   * t/2} and the second with {@code t/2} threads, each under the calling thread's gradient mode;
   * with one, one after the other on the calling thread. With two, each half runs with one thread,
   * as it does one after the other, so the results are the same either way.
   *
   * @return the two results, in the halves' order
   */
  public static <T> Results<T> run(IntFunction<T> half) {
    int threads = Engines.intraOpThreadsOfThisThread();
    if (threads < 2) {
      T first = half.apply(0);
      return new Results<>(first, half.apply(1));
    }
    boolean gradients = JniUtils.isGradMode();
    int[] counts = {threads - threads / 2, Math.max(1, threads / 2)};
    List<Future<T>> futures = new ArrayList<>(2);
    for (int k = 0; k < 2; k++) {
      int part = k;
      futures.add(
          pool(counts[part])
              .submit(
                  () -> {
                    boolean before = JniUtils.isGradMode();
                    JniUtils.setGradMode(gradients);
                    try {
                      return half.apply(part);
                    } finally {
                      JniUtils.setGradMode(before);
                    }
                  }));
    }
    List<T> results = new ArrayList<>(2);
    Throwable failure = null;
    for (int k = 0; k < 2; k++) {
      try {
        results.add(await(futures.get(k)));
      } catch (RuntimeException | Error e) {
        if (failure == null) {
          failure = e;
        }
      }
    }
    if (failure instanceof RuntimeException e) {
      throw e;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    return new Results<>(results.get(0), results.get(1));
  }

  /**
   * The results of the two halves.
   *
   * @param first the first half's
   * @param second the second half's
   */
  public record Results<T>(T first, T second) {}

  /**
   * The result of {@code f}, waiting through interrupts and setting the interrupt flag again
   * afterwards; its failure rethrown as it was.
   */
  private static <T> T await(Future<T> f) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return f.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof RuntimeException r) {
            throw r;
          }
          if (c instanceof Error err) {
            throw err;
          }
          throw new IllegalStateException(c);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
