package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Gradient recording on the calling thread only, so that several clients can train at once in one
 * process. PyTorch's grad mode is thread-local; DJL's {@code GradientCollector} keeps one
 * process-wide flag and refuses a second collector while one is open, which would serialise all
 * training. Usage: {@code try (Autograd.Recording r = Autograd.record()) { loss = ...;
 * r.backward(loss); }}.
 */
public final class Autograd {

  private Autograd() {}

  /** Turns gradient recording on for this thread until the recording is closed. */
  public static Recording record() {
    return new Recording();
  }

  /**
   * Runs {@code work} with gradient recording off on this thread, then restores the thread's mode.
   * Work that needs no gradients runs under it to compute the same whatever mode the calling thread
   * was left in: while recording, with trainable adapter tensors, the encoder's attention runs the
   * fused operator instead of the separate ones ({@code ScriptedAttention}), which differ in the
   * last bits, and a thread's mode is whatever ran on it before.
   */
  public static <T> T withoutGradients(Supplier<T> work) {
    Mode off = new Mode(false);
    try {
      return work.get();
    } finally {
      off.close();
    }
  }

  /** A gradient mode set on this thread; closing restores the thread's previous mode. */
  private static class Mode implements AutoCloseable {
    private final boolean previous;

    private Mode(boolean on) {
      this.previous = JniUtils.isGradMode();
      JniUtils.setGradMode(on);
    }

    @Override
    public void close() {
      JniUtils.setGradMode(previous);
    }
  }

  /** An open recording; closing restores the thread's previous grad mode. */
  public static final class Recording extends Mode {

    private Recording() {
      super(true);
    }

    /**
     * Back-propagates a scalar (or any) result with a gradient of ones, accumulating into the
     * gradients of the leaves that require them, and frees the graph.
     */
    public void backward(NDArray result) {
      try (NDArray ones = result.onesLike()) {
        JniUtils.backward((PtNDArray) result, (PtNDArray) ones, false, false);
      }
    }
  }
}
