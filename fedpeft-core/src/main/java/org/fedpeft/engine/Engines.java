package org.fedpeft.engine;

import ai.djl.engine.Engine;

/**
 * Starts the tensor engine (DJL's PyTorch engine, CPU) with no network access.
 *
 * <p>DJL looks for native libraries on the class path first; with {@code ai.djl.offline=true} it
 * never tries to download them. fedpeft pins DJL 0.35.1 with the PyTorch 2.7.1 CPU natives as Maven
 * dependencies, so this always works offline. Call {@link #pytorch()} before creating any
 * NDManager.
 */
public final class Engines {

  private Engines() {}

  /**
   * Turns PyTorch's gradient mode off on the calling thread. Grad mode is thread-local and on by
   * default in a new thread; work that builds no gradients (evaluation) would otherwise record
   * autograd graphs. Call at the start of work on a pooled thread.
   */
  public static void gradModeOffOnThisThread() {
    pytorch();
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
  }

  /**
   * Runs {@code work} with gradient recording off on this thread, then restores the thread's mode.
   * Inference runs under it so that it computes the same whatever mode the calling thread was left
   * in (a new thread records, a thread that ran a simulation does not): while recording, with
   * trainable adapter tensors, the encoder's attention runs the fused operator instead of the
   * separate ones ({@code ScriptedAttention}), which differ in the last bits, and autograd would
   * record a graph nobody uses.
   */
  public static <T> T withoutGradients(java.util.function.Supplier<T> work) {
    pytorch();
    boolean previous = ai.djl.pytorch.jni.JniUtils.isGradMode();
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    try {
      return work.get();
    } finally {
      ai.djl.pytorch.jni.JniUtils.setGradMode(previous);
    }
  }

  /**
   * Sets PyTorch's intra-op thread count for the calling thread (and as the default of threads that
   * start computing later). Clients that train side by side each use a few threads.
   */
  public static void intraOpThreads(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("thread count must be at least 1, got " + n);
    }
    pytorch();
    synchronized (THREAD_COUNTS) {
      if (ai.djl.pytorch.jni.JniUtils.getNumThreads() != n) {
        ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
      }
    }
  }

  /**
   * Held while fedpeft sets a thread count: PyTorch keeps the last count set as the default of new
   * threads, so two threads setting counts at once could leave the default at either's.
   */
  private static final Object THREAD_COUNTS = new Object();

  /**
   * Sets PyTorch's intra-op thread count for the calling thread only: unlike {@link
   * #intraOpThreads}, it leaves the default that threads starting to compute later take as it was
   * (PyTorch stores every count set as that default, so it is set back from a short-lived thread).
   * While it runs, a thread that starts computing may take {@code n}; fedpeft's own settings of
   * counts wait for it. For threads of fedpeft's own pools ({@link SideBySide}), which must not
   * change what other threads get.
   */
  public static void intraOpThreadsOfThisThreadOnly(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("thread count must be at least 1, got " + n);
    }
    pytorch();
    synchronized (THREAD_COUNTS) {
      if (ai.djl.pytorch.jni.JniUtils.getNumThreads() == n) {
        return;
      }
      int before = intraOpThreadsOfNewThreads();
      ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
      onFreshThread(() -> ai.djl.pytorch.jni.JniUtils.setNumThreads(before));
    }
  }

  /**
   * The intra-op thread count a thread that starts computing now takes (PyTorch's default, or the
   * last count set anywhere).
   */
  public static int intraOpThreadsOfNewThreads() {
    pytorch();
    int[] count = new int[1];
    onFreshThread(() -> count[0] = ai.djl.pytorch.jni.JniUtils.getNumThreads());
    return count[0];
  }

  /** Runs {@code work} on a new thread and waits for it, through interrupts. */
  private static void onFreshThread(Runnable work) {
    Thread t = new Thread(work, "fedpeft-thread-count");
    t.setDaemon(true);
    t.start();
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** PyTorch's intra-op thread count on the calling thread. */
  public static int intraOpThreadsOfThisThread() {
    pytorch();
    return ai.djl.pytorch.jni.JniUtils.getNumThreads();
  }

  private static Engine engine;

  /** The version of DJL on the class path, as its API jar records it. */
  public static String djlVersion() {
    return Engine.getDjlVersion();
  }

  /**
   * The PyTorch version the PyTorch engine on the class path is built for, as its jar records it
   * ({@code pytorch-engine.properties}), without loading libtorch; "unknown" if the jar records
   * none. A loaded engine's {@code getVersion()} says the same for the natives it loaded.
   */
  public static String pytorchVersion() {
    try (java.io.InputStream in =
        Engines.class.getClassLoader().getResourceAsStream("pytorch-engine.properties")) {
      if (in == null) {
        return "unknown";
      }
      java.util.Properties p = new java.util.Properties();
      p.load(in);
      return p.getProperty("pytorch_version", "unknown");
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  /**
   * Sets the offline property (unless the user set it) and returns the PyTorch engine. The first
   * call loads libtorch and then applies {@link MklDispatch} (MKL's kernels chosen by the CPU's
   * features on AMD CPUs).
   */
  public static synchronized Engine pytorch() {
    if (engine == null) {
      if (System.getProperty("ai.djl.offline") == null) {
        System.setProperty("ai.djl.offline", "true");
      }
      engine = Engine.getEngine("PyTorch");
      MklDispatch.apply();
    }
    return engine;
  }
}
