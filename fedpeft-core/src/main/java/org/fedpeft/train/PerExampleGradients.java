package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A module that can compute per-example gradients of its trainable tensors in one batched pass (for
 * DP-SGD): it replaces each trainable tensor by a leaf replica per example, of shape (batch, ...),
 * used through batched products so that example {@code i} only touches replica {@code i}; the
 * gradient of replica {@code i} is then example {@code i}'s gradient. Modules without it are
 * handled by a loop over single examples.
 */
public interface PerExampleGradients {

  /**
   * Switches to per-example mode for a batch of {@code batchSize}. Call with gradient mode off,
   * inside the step's {@link ai.djl.ndarray.NDScope} (the replicas are freed with it).
   */
  void beginPerExample(int batchSize);

  /** After backward: per trainable tensor name, the (batch, ...) per-example gradients. */
  Map<String, NDArray> perExampleGradients();

  /** Back to shared tensors. */
  void endPerExample();
}
