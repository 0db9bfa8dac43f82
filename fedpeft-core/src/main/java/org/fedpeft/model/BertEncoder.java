package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.HashMap;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;

/**
 * A frozen BERT encoder on DJL's PyTorch engine.
 *
 * <p>The weights live in their own {@link NDManager} and never require gradients, so a backward
 * pass computes activation gradients only (no frozen-weight gradients). {@link #forward} creates
 * every intermediate from the per-call input arrays; callers wrap a call in an {@link
 * ai.djl.ndarray.NDScope} so all intermediates are freed when the step ends.
 *
 * <p>Dropout of the base model is off (the model is frozen and evaluated deterministically);
 * adapters apply their own dropout through {@link EncoderHooks}.
 */
public final class BertEncoder implements AutoCloseable {

  /** Added to attention scores at padded positions, as Hugging Face does (float32 minimum). */
  private static final float MASKED = -Float.MAX_VALUE;

  private final BertConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> weights = new HashMap<>();
  private final NDArray[][] linearW;
  private final NDArray[][] linearB;
  private final NDArray[][] layerNorms; // per layer: attnLnW, attnLnB, outLnW, outLnB
  private final Shape hiddenShape;

  /** Copies the weights into a new child manager of {@code parent}. */
  public BertEncoder(BertWeights w, NDManager parent) {
    this.config = w.config();
    this.manager = parent.newSubManager();
    this.hiddenShape = new Shape(config.hiddenSize());
    for (var e : w.tensors().entrySet()) {
      HostTensor t = e.getValue();
      NDArray a = manager.create(t.data(), new Shape(t.shape()));
      a.setName(e.getKey());
      weights.put(e.getKey(), a);
    }
    int layers = config.numLayers();
    int mods = BertWeights.LINEAR_MODULES.size();
    linearW = new NDArray[layers][mods];
    linearB = new NDArray[layers][mods];
    layerNorms = new NDArray[layers][4];
    for (int i = 0; i < layers; i++) {
      for (int m = 0; m < mods; m++) {
        String name = BertWeights.linearName(i, BertWeights.LINEAR_MODULES.get(m));
        linearW[i][m] = weights.get(name + ".weight");
        linearB[i][m] = weights.get(name + ".bias");
      }
      String p = "encoder.layer." + i + ".";
      layerNorms[i][0] = weights.get(p + "attention.output.LayerNorm.weight");
      layerNorms[i][1] = weights.get(p + "attention.output.LayerNorm.bias");
      layerNorms[i][2] = weights.get(p + "output.LayerNorm.weight");
      layerNorms[i][3] = weights.get(p + "output.LayerNorm.bias");
    }
  }

  public BertConfig config() {
    return config;
  }

  /** The manager that owns the frozen weights. */
  public NDManager manager() {
    return manager;
  }

  /** The frozen weight of a linear module, (out, in). Changing it changes the model. */
  public NDArray linearWeight(int layer, int module) {
    return linearW[layer][module];
  }

  /** A frozen tensor by its Hugging Face name. */
  public NDArray weight(String name) {
    NDArray a = weights.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no weight named " + name);
    }
    return a;
  }

  /**
   * Runs the encoder.
   *
   * @param ids token ids, int64 (batch, seq)
   * @param mask attention mask, int64 (batch, seq), 1 for tokens, 0 for padding
   * @param hooks the adapter's insertion points ({@link EncoderHooks#NONE} for the base model)
   * @param training whether adapters should apply dropout
   * @return the last hidden state, (batch, seq, hidden)
   */
  public NDArray forward(NDArray ids, NDArray mask, EncoderHooks hooks, boolean training) {
    long seq = ids.getShape().get(1);
    if (seq > config.maxPositions()) {
      throw new IllegalArgumentException(
          "sequence of "
              + seq
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions());
    }
    NDArrayEx ex = ids.getNDArrayInternal();
    NDArray h =
        ex.embedding(ids, weights.get("embeddings.word_embeddings.weight"), SparseFormat.DENSE)
            .singletonOrThrow(); // (batch, seq, hidden)
    NDArray pos =
        weights.get("embeddings.position_embeddings.weight").get(new NDIndex("0:{}", seq));
    NDArray type0 = weights.get("embeddings.token_type_embeddings.weight").get(0);
    h = h.add(pos).add(type0);
    h =
        layerNorm(
            h,
            weights.get("embeddings.LayerNorm.weight"),
            weights.get("embeddings.LayerNorm.bias"));
    h = hooks.afterEmbeddings(h, training);

    // (batch, 1, 1, seq): 0 where attended, float32 minimum where padded.
    NDArray maskBias =
        mask.toType(DataType.FLOAT32, false).neg().add(1f).mul(MASKED).expandDims(1).expandDims(1);
    for (int layer = 0; layer < config.numLayers(); layer++) {
      h = block(layer, h, maskBias, hooks, training);
    }
    return h;
  }

  private NDArray block(
      int layer, NDArray h, NDArray maskBias, EncoderHooks hooks, boolean training) {
    long batch = h.getShape().get(0);
    long seq = h.getShape().get(1);
    int heads = config.numHeads();
    int headSize = config.headSize();
    NDArray q = linear(layer, 0, h, hooks, training).reshape(batch, seq, heads, headSize);
    NDArray k = linear(layer, 1, h, hooks, training).reshape(batch, seq, heads, headSize);
    NDArray v = linear(layer, 2, h, hooks, training).reshape(batch, seq, heads, headSize);
    q = q.transpose(0, 2, 1, 3); // (batch, heads, seq, headSize)
    k = k.transpose(0, 2, 3, 1); // (batch, heads, headSize, seq)
    v = v.transpose(0, 2, 1, 3); // (batch, heads, seq, headSize)
    NDArray scores = q.matMul(k).mul(1f / (float) Math.sqrt(headSize)).add(maskBias);
    NDArray probs = scores.softmax(-1); // (batch, heads, seq, seq)
    NDArray ctx =
        probs
            .matMul(v)
            .transpose(0, 2, 1, 3)
            .reshape(batch, seq, config.hiddenSize()); // (batch, seq, hidden)
    NDArray attn = linear(layer, 3, ctx, hooks, training);
    NDArray h1 = layerNorm(attn.add(h), layerNorms[layer][0], layerNorms[layer][1]);
    NDArray inter = linear(layer, 4, h1, hooks, training);
    inter = inter.getNDArrayInternal().gelu(); // exact (erf) GELU, as BERT's "gelu"
    NDArray out = linear(layer, 5, inter, hooks, training);
    return layerNorm(out.add(h1), layerNorms[layer][2], layerNorms[layer][3]);
  }

  private NDArray linear(int layer, int module, NDArray x, EncoderHooks hooks, boolean training) {
    NDArray y =
        x.getNDArrayInternal()
            .linear(x, linearW[layer][module], linearB[layer][module])
            .singletonOrThrow();
    NDArray delta = hooks.linearDelta(layer, module, x, training);
    return delta == null ? y : y.add(delta);
  }

  private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
    return x.getNDArrayInternal()
        .layerNorm(x, hiddenShape, gamma, beta, config.layerNormEps())
        .singletonOrThrow();
  }

  @Override
  public void close() {
    manager.close();
  }
}
