package org.fedpeft.model;

import ai.djl.ndarray.NDArray;

/**
 * The insertion points through which an adapter changes what the frozen encoder computes. Methods
 * use these, never the encoder's internals, so that another model family can offer the same points.
 *
 * <table>
 *   <caption>Insertion points, in the order a forward pass reaches them</caption>
 *   <tr><th>point</th><th>where</th><th>used by</th></tr>
 *   <tr><td>{@link #tokenEmbeddings}</td><td>the word-embedding lookup, before position and type
 *       embeddings and the embedding LayerNorm</td><td>soft embeddings</td></tr>
 *   <tr><td>{@link #afterEmbeddings}</td><td>after the embedding LayerNorm, before the first
 *       block</td><td>soft embeddings (the other placement)</td></tr>
 *   <tr><td>{@link #linearDelta}</td><td>added to the output of a linear module of a
 *       block</td><td>LoRA and its relatives</td></tr>
 *   <tr><td>{@link #replaceBlock}</td><td>instead of block {@code layer}, on its
 *       input</td><td>fine-tuning copies of the top blocks</td></tr>
 *   <tr><td>{@link #afterBlock}</td><td>between block {@code layer} and block {@code layer +
 *       1}</td><td>block expansion (FedBE)</td></tr>
 * </table>
 *
 * <p>Every default is the identity, so the base model is {@link #NONE}. Implementations must start
 * new computations from the arrays they are given (not from long-lived weights) or keep every
 * result inside the caller's {@link ai.djl.ndarray.NDScope}, so intermediates are freed each step.
 * Per-batch information comes in the {@link HookContext}, never through fields set between calls.
 */
public interface EncoderHooks {

  /** The base model: no change anywhere. */
  EncoderHooks NONE =
      new EncoderHooks() {
        @Override
        public boolean concurrentBatches() {
          return true;
        }
      };

  /**
   * Whether two batches may run through the encoder with these hooks at the same time, each on its
   * own thread with its own {@link HookContext}: true when the hooks change nothing while they run
   * (no field written, nothing created lazily) and draw dropout masks only from the calling
   * thread's {@link org.fedpeft.random.StepRandom}. Trainers and the embedder then run a batch as
   * two halves side by side ({@link org.fedpeft.engine.SideBySide}). The default is false: an
   * implementation says true only once its hooks were checked for it.
   */
  default boolean concurrentBatches() {
    return false;
  }

  /**
   * Called on the word embeddings of the tokens, before position and type embeddings are added and
   * before the embedding LayerNorm.
   *
   * @param tokens (batch, seq, hidden)
   * @return (batch, seq, hidden)
   */
  default NDArray tokenEmbeddings(NDArray tokens, HookContext ctx) {
    return tokens;
  }

  /**
   * Called on the summed embeddings after the embedding LayerNorm, before the first block.
   *
   * @param hidden (batch, seq, hidden)
   * @return (batch, seq, hidden)
   */
  default NDArray afterEmbeddings(NDArray hidden, HookContext ctx) {
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
  default NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
    return null;
  }

  /**
   * The change {@link #linearDelta} would return for a query, key or value module ({@code module}
   * 0, 1 or 2), as two factors, or {@code null} when the hooks do not offer them there; then the
   * encoder calls {@link #linearDelta}. The encoder calls one of the two per module and forward
   * pass, never both, so a hook that draws random numbers (dropout) draws them once either way. The
   * encoder asks for factors only with a bfloat16 base, where it adds their product to the bfloat16
   * output in one product (float32 accumulation, one rounding) instead of rounding a float32
   * change; the default, null, is always correct.
   *
   * @param layer block index
   * @param module 0, 1 or 2 (query, key, value)
   * @param input the module's input, (batch, seq, in)
   */
  default LowRankDelta linearLowRank(int layer, int module, NDArray input, HookContext ctx) {
    return null;
  }

  /**
   * Whether {@link #linearDelta} may return a change for module {@code module} of block {@code
   * layer}. {@code false} promises that it returns null there, which lets the encoder compute that
   * module together with its neighbours (with a bfloat16 base: the attention output product in the
   * same call as the attention, the two feed-forward products and the GELU between them in one
   * call). The default, {@code true}, is always correct; {@link #NONE} returns {@code false}.
   *
   * @param layer block index
   * @param module index into {@link BertWeights#LINEAR_MODULES}
   */
  default boolean changesLinear(int layer, int module) {
    return this != NONE;
  }

  /**
   * A replacement for base block {@code layer}: the block's output computed by the hooks from its
   * input, or {@code null} (the default) to run the base block. The encoder asks only for blocks at
   * or above {@link #firstAdaptedLayer} (those below compute the base model). A replaced block's
   * linear modules are the hooks' own, so {@link #linearDelta} is not called for that block; {@link
   * #afterBlock} still follows it.
   *
   * @param hidden the block's input, (batch, seq, hidden)
   * @return the block's output, (batch, seq, hidden), or null
   */
  default NDArray replaceBlock(int layer, NDArray hidden, HookContext ctx) {
    return null;
  }

  /**
   * Called on the output of block {@code layer}, which becomes the input of block {@code layer + 1}
   * (or the encoder's output after the last block): the place to insert new blocks.
   *
   * @param hidden (batch, seq, hidden)
   * @return (batch, seq, hidden)
   */
  default NDArray afterBlock(int layer, NDArray hidden, HookContext ctx) {
    return hidden;
  }

  /**
   * The first block whose input or computation these hooks may change. Blocks before it compute
   * exactly the base model, so the encoder runs them on its fast path (one scripted call each, no
   * autograd), and a backward pass stops there. The default, 0, claims every block; a hook that
   * uses {@link #tokenEmbeddings} or {@link #afterEmbeddings} must return 0. {@link #NONE} returns
   * {@link Integer#MAX_VALUE}.
   */
  default int firstAdaptedLayer() {
    return this == NONE ? Integer.MAX_VALUE : 0;
  }
}
