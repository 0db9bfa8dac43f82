package org.fedpeft.model;

import ai.djl.ndarray.NDArray;

/**
 * Insertion points an adapter uses to change what the frozen encoder computes.
 *
 * <p>Every default is the identity, so the base model is {@link #NONE}. Implementations must start
 * new computations from the arrays they are given (not from long-lived weights) or keep every
 * result inside the caller's {@link ai.djl.ndarray.NDScope}, so intermediates are freed each step.
 */
public interface EncoderHooks {

  /** The base model: no change anywhere. */
  EncoderHooks NONE = new EncoderHooks() {};

  /**
   * Called on the summed token embeddings after the embedding LayerNorm, before the first block
   * (the soft-embedding insertion point).
   *
   * @param hidden (batch, seq, hidden)
   * @return (batch, seq, hidden)
   */
  default NDArray afterEmbeddings(NDArray hidden, boolean training) {
    return hidden;
  }

  /**
   * An additive change to the output of a linear module, or {@code null} for none.
   *
   * @param layer block index
   * @param module index into {@link BertWeights#LINEAR_MODULES}
   * @param input the module's input, (batch, seq, in)
   * @return (batch, seq, out) to add to the module's output, or null
   */
  default NDArray linearDelta(int layer, int module, NDArray input, boolean training) {
    return null;
  }
}
