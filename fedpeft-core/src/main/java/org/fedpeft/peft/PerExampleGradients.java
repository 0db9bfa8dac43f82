package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A module that can compute per-example gradients of its trainable tensors in one batched pass (for
 * DP-SGD). A module either replaces each trainable tensor by a leaf replica per example, of shape
 * (batch, ...), used through batched products so that example {@code i} only touches replica {@code
 * i} (the gradient of replica {@code i} is then example {@code i}'s gradient), or keeps the
 * gradients in a factored form ({@link #clippable()}). Modules without this interface are handled
 * by a loop over single examples.
 */
public interface PerExampleGradients {

  /**
   * Switches to per-example mode for a batch of {@code batchSize}. Call with gradient mode off,
   * inside the step's {@link ai.djl.ndarray.NDScope} (the replicas are freed with it).
   */
  void beginPerExample(int batchSize);

  /** After backward: per trainable tensor name, the (batch, ...) per-example gradients. */
  Map<String, NDArray> perExampleGradients();

  /**
   * After backward: per trainable tensor name, what DP-SGD needs of its per-example gradients (each
   * example's squared norm, then a weighted sum over the examples). The default wraps {@link
   * #perExampleGradients()}; a module whose per-example gradients have a cheaper factored form (a
   * linear map of one vector per example: an outer product) overrides it, so that the (batch, ...)
   * gradients are never formed.
   */
  default Map<String, Clippable> clippable() {
    Map<String, Clippable> out = new LinkedHashMap<>();
    perExampleGradients().forEach((name, g) -> out.put(name, Clippable.of(g)));
    return out;
  }

  /** Back to shared tensors. */
  void endPerExample();

  /** One tensor's per-example gradients over a batch, as DP-SGD uses them. */
  interface Clippable {

    /** Each example's squared L2 norm of its gradient: (batch). */
    NDArray squaredNorms();

    /** {@code sum_i factors[i] g_i}, of the tensor's shape; {@code factors} is (batch). */
    NDArray weightedSum(NDArray factors);

    /** Materialised per-example gradients {@code g}: (batch, ...). */
    static Clippable of(NDArray g) {
      return new Clippable() {
        @Override
        public NDArray squaredNorms() {
          long batch = g.getShape().get(0);
          return g.reshape(batch, -1).square().sum(new int[] {1});
        }

        @Override
        public NDArray weightedSum(NDArray factors) {
          long[] shape = new long[g.getShape().dimension()];
          Arrays.fill(shape, 1);
          shape[0] = g.getShape().get(0);
          return g.mul(factors.reshape(new Shape(shape))).sum(new int[] {0});
        }
      };
    }

    /**
     * The per-example gradients {@code g_i = u_i v_i^T} of a linear map applied to one vector
     * {@code v_i} per example, whose output's gradient is {@code u_i}: {@code u} (batch, out),
     * {@code v} (batch, in). The norm is {@code |u_i| |v_i|}, the weighted sum {@code (f u)^T v}.
     */
    static Clippable outer(NDArray u, NDArray v) {
      return new Clippable() {
        @Override
        public NDArray squaredNorms() {
          return u.square().sum(new int[] {1}).mul(v.square().sum(new int[] {1}));
        }

        @Override
        public NDArray weightedSum(NDArray factors) {
          return u.mul(factors.expandDims(1)).transpose().matMul(v);
        }
      };
    }
  }
}
