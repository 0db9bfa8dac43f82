package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

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
    return new Recording(JniUtils.isGradMode());
  }

  /** An open recording; closing restores the thread's previous grad mode. */
  public static final class Recording implements AutoCloseable {
    private final boolean previous;

    private Recording(boolean previous) {
      this.previous = previous;
      JniUtils.setGradMode(true);
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

    @Override
    public void close() {
      JniUtils.setGradMode(previous);
    }
  }
}
