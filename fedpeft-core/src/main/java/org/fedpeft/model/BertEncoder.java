package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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
  private final NDArray[] qkvW; // per layer: query, key, value weights stacked, (3 hidden, hidden)
  private final NDArray[] qkvB;
  private final NDArray[][] layerNorms; // per layer: attnLnW, attnLnB, outLnW, outLnB
  private final Shape hiddenShape;
  private final NDArray queryScale; // 1 / sqrt(head size), kept alive for autograd
  private final FusedAttention fused; // null: separate operators (see FusedAttention.PROPERTY)
  private final ScriptedBlock scriptedBlock; // the base model's blocks, null with fused == null
  private final NDArray[][] blockTensors; // per layer, in ScriptedBlock.apply's order

  /**
   * Copies the weights into a new child manager of {@code parent}. The query, key and value weights
   * (and biases) of a block are stored as one (3 hidden, hidden) tensor so that the three
   * projections run as one matrix product; {@link #linearWeight} and {@link #weight} return views
   * into it, so changing them (as merging an adapter does) changes the model.
   */
  public BertEncoder(BertWeights w, NDManager parent) {
    this.config = w.config();
    this.manager = parent.newSubManager();
    this.hiddenShape = new Shape(config.hiddenSize());
    this.queryScale = manager.create(1f / (float) Math.sqrt(config.headSize()));
    int layers = config.numLayers();
    int mods = BertWeights.LINEAR_MODULES.size();
    linearW = new NDArray[layers][mods];
    linearB = new NDArray[layers][mods];
    qkvW = new NDArray[layers];
    qkvB = new NDArray[layers];
    layerNorms = new NDArray[layers][4];
    int hidden = config.hiddenSize();
    java.util.Set<String> fused = new java.util.HashSet<>();
    for (int i = 0; i < layers; i++) {
      float[] fw = new float[3 * hidden * hidden];
      float[] fb = new float[3 * hidden];
      for (int m = 0; m < 3; m++) {
        String name = BertWeights.linearName(i, BertWeights.LINEAR_MODULES.get(m));
        System.arraycopy(
            w.get(name + ".weight").data(), 0, fw, m * hidden * hidden, hidden * hidden);
        System.arraycopy(w.get(name + ".bias").data(), 0, fb, m * hidden, hidden);
        fused.add(name + ".weight");
        fused.add(name + ".bias");
      }
      qkvW[i] = manager.create(fw, new Shape(3L * hidden, hidden));
      qkvB[i] = manager.create(fb, new Shape(3L * hidden));
      for (int m = 0; m < 3; m++) {
        String name = BertWeights.linearName(i, BertWeights.LINEAR_MODULES.get(m));
        NDIndex rows = new NDIndex("{}:{}", (long) m * hidden, (long) (m + 1) * hidden);
        NDArray wv = qkvW[i].get(rows); // a view: shares storage with the fused weight
        NDArray bv = qkvB[i].get(rows);
        wv.setName(name + ".weight");
        bv.setName(name + ".bias");
        weights.put(name + ".weight", wv);
        weights.put(name + ".bias", bv);
      }
    }
    for (var e : w.tensors().entrySet()) {
      if (fused.contains(e.getKey())) {
        continue;
      }
      HostTensor t = e.getValue();
      NDArray a = manager.create(t.data(), new Shape(t.shape()));
      a.setName(e.getKey());
      weights.put(e.getKey(), a);
    }
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
    this.fused = FusedAttention.enabled() ? FusedAttention.load(manager) : null;
    this.scriptedBlock = fused == null ? null : ScriptedBlock.load(manager);
    this.blockTensors = new NDArray[layers][];
    for (int i = 0; i < layers; i++) {
      blockTensors[i] =
          new NDArray[] {
            qkvW[i],
            qkvB[i],
            linearW[i][3],
            linearB[i][3],
            layerNorms[i][0],
            layerNorms[i][1],
            linearW[i][4],
            linearB[i][4],
            linearW[i][5],
            linearB[i][5],
            layerNorms[i][2],
            layerNorms[i][3]
          };
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
    return forward(ids, mask, hooks, HookContext.of(training));
  }

  /**
   * Runs the encoder with a hook context (training flag, phase, per-batch arrays of the adapter).
   *
   * @param ids token ids, int64 (batch, seq)
   * @param mask attention mask, int64 (batch, seq), 1 for tokens, 0 for padding
   * @param hooks the adapter's insertion points ({@link EncoderHooks#NONE} for the base model)
   * @param ctx what the hooks know about this pass
   * @return the last hidden state, (batch, seq, hidden)
   */
  public NDArray forward(NDArray ids, NDArray mask, EncoderHooks hooks, HookContext ctx) {
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
    h = hooks.tokenEmbeddings(h, ctx);
    NDArray pos =
        weights.get("embeddings.position_embeddings.weight").get(new NDIndex("0:{}", seq));
    NDArray type0 = weights.get("embeddings.token_type_embeddings.weight").get(0);
    h = h.add(pos).add(type0);
    h =
        layerNorm(
            h,
            weights.get("embeddings.LayerNorm.weight"),
            weights.get("embeddings.LayerNorm.bias"));
    h = hooks.afterEmbeddings(h, ctx);

    // (batch, 1, 1, seq): 0 where attended, float32 minimum where padded. When every mask entry is
    // 1 the bias is all zeros and adding it changes nothing, so it is skipped.
    NDArray maskBias = null;
    if (mask.neq(1).any().getBoolean()) {
      maskBias =
          mask.toType(DataType.FLOAT32, false)
              .neg()
              .add(1f)
              .mul(MASKED)
              .expandDims(1)
              .expandDims(1);
    }
    if (maskBias != null && hooks != EncoderHooks.NONE) {
      ctx = ctx.with(HookContext.ATTENTION_MASK_BIAS, maskBias);
    }
    long batch = ids.getShape().get(0);
    // Blocks work on (batch * seq, hidden) so that every linear layer is one matrix product with
    // the bias fused in (addmm); the hooks still see (batch, seq, features).
    NDArray x = h.reshape(batch * seq, config.hiddenSize());
    // Blocks before the first one the hooks adapt compute the base model and need no gradients
    // (frozen weights, inputs that require none), so they run as one TorchScript call each,
    // partly in place; for the base model (NONE) that is every block.
    int firstAdapted = hooks.firstAdaptedLayer();
    boolean previousScripted = false;
    for (int layer = 0; layer < config.numLayers(); layer++) {
      boolean base = layer < firstAdapted && scriptedBlock != null;
      if (!base && previousScripted) {
        // Scripted blocks run in inference mode; autograd cannot save their output for the
        // backward of the blocks above, but it can save a copy.
        x = x.duplicate();
      }
      previousScripted = base;
      // A block the hooks adapt may be replaced by the hooks' own computation.
      NDArray replaced =
          layer >= firstAdapted
              ? hooks.replaceBlock(layer, x.reshape(batch, seq, config.hiddenSize()), ctx)
              : null;
      x =
          replaced != null
              ? replaced.reshape(batch * seq, config.hiddenSize())
              : base
                  ? scriptedBlock.apply(
                      x,
                      blockTensors[layer],
                      maskBias,
                      batch,
                      seq,
                      config.numHeads(),
                      config.layerNormEps())
                  : block(layer, x, batch, seq, maskBias, hooks, ctx);
      if (hooks != EncoderHooks.NONE) {
        NDArray h3 = x.reshape(batch, seq, config.hiddenSize());
        NDArray changed = hooks.afterBlock(layer, h3, ctx);
        if (changed != h3) {
          x = changed.reshape(batch * seq, config.hiddenSize());
          // The hook computed a new array (outside the scripted path), which the next block can
          // use as it is; copying it would cut the hook's computation out of the backward pass.
          previousScripted = false;
        }
      }
    }
    return x.reshape(batch, seq, config.hiddenSize());
  }

  private NDArray block(
      int layer,
      NDArray x,
      long batch,
      long seq,
      NDArray maskBias,
      EncoderHooks hooks,
      HookContext ctx) {
    long hidden = config.hiddenSize();
    // Query, key and value in one product; split gives views whose gradients are concatenated.
    NDArray qkv = x.getNDArrayInternal().linear(x, qkvW[layer], qkvB[layer]).singletonOrThrow();
    NDList parts = qkv.split(new long[] {hidden, 2 * hidden}, 1);
    NDArray q = withDelta(parts.get(0), layer, 0, x, batch, seq, hooks, ctx);
    NDArray k = withDelta(parts.get(1), layer, 1, x, batch, seq, hooks, ctx);
    NDArray v = withDelta(parts.get(2), layer, 2, x, batch, seq, hooks, ctx);
    NDArray context = attention(q, k, v, batch, seq, maskBias);
    NDArray attn = linear(layer, 3, context, batch, seq, hooks, ctx);
    NDArray h1 = layerNorm(attn.add(x), layerNorms[layer][0], layerNorms[layer][1]);
    NDArray inter = linear(layer, 4, h1, batch, seq, hooks, ctx);
    inter = inter.getNDArrayInternal().gelu(); // exact (erf) GELU, as BERT's "gelu"
    NDArray out = linear(layer, 5, inter, batch, seq, hooks, ctx);
    return layerNorm(out.add(h1), layerNorms[layer][2], layerNorms[layer][3]);
  }

  /**
   * Multi-head scaled dot-product attention exactly as this encoder's own blocks compute it (the
   * fused operator, or the separate operators under {@code -Dfedpeft.attention=eager}), for
   * adapters that add attention of their own (FedBE's expansion blocks). Autograd records through
   * it.
   *
   * @param q queries, (batch * seq, hidden)
   * @param k keys, (batch * seq, hidden)
   * @param v values, (batch * seq, hidden)
   * @param maskBias null, or the (batch, 1, 1, seq) bias a forward pass puts in its hook context
   *     under {@link HookContext#ATTENTION_MASK_BIAS}
   * @return the context, (batch * seq, hidden), heads merged
   */
  public NDArray attention(
      NDArray q, NDArray k, NDArray v, long batch, long seq, NDArray maskBias) {
    if (fused == null) {
      return separateAttention(q, k, v, batch, seq, maskBias);
    }
    int heads = config.numHeads();
    int headSize = config.headSize();
    // One fused operator on head-major views of q, k and v (no copies); its output is laid out
    // as (batch, seq, heads, head), so merging the heads back is a view as well.
    NDArray q4 = q.reshape(batch, seq, heads, headSize).transpose(0, 2, 1, 3);
    NDArray k4 = k.reshape(batch, seq, heads, headSize).transpose(0, 2, 1, 3);
    NDArray v4 = v.reshape(batch, seq, heads, headSize).transpose(0, 2, 1, 3);
    return fused
        .apply(q4, k4, v4, maskBias)
        .transpose(0, 2, 1, 3)
        .reshape(batch * seq, config.hiddenSize());
  }

  /** Attention as separate operators: scaled queries, score product, mask, softmax, context. */
  private NDArray separateAttention(
      NDArray q, NDArray k, NDArray v, long batch, long seq, NDArray maskBias) {
    int heads = config.numHeads();
    int headSize = config.headSize();
    // Scaling the queries (batch*seq x hidden) instead of the scores (batch x heads x seq x seq)
    // is heads*seq/hidden times less work (4x at 128 tokens); the result differs from scaling the
    // scores by rounding only (not at all when the head size is a power of 4).
    // A long-lived scalar tensor, not mul(float): DJL turns a Java number into a temporary
    // tensor over a direct buffer and closes it at once, while autograd keeps it for backward.
    NDArray qs = q.mul(queryScale);
    NDArray q4 = qs.reshape(batch, seq, heads, headSize).transpose(0, 2, 1, 3);
    NDArray k4 = k.reshape(batch, seq, heads, headSize).transpose(0, 2, 3, 1);
    NDArray v4 = v.reshape(batch, seq, heads, headSize).transpose(0, 2, 1, 3);
    NDArray scores = q4.matMul(k4); // (batch, heads, seq, seq)
    if (maskBias != null) {
      scores = scores.add(maskBias);
    }
    NDArray probs = scores.softmax(-1);
    return probs.matMul(v4).transpose(0, 2, 1, 3).reshape(batch * seq, config.hiddenSize());
  }

  /** {@code y} plus the hooks' change of module {@code module} for input {@code x}, 2-D. */
  private NDArray withDelta(
      NDArray y,
      int layer,
      int module,
      NDArray x,
      long batch,
      long seq,
      EncoderHooks hooks,
      HookContext ctx) {
    NDArray x3 = x.reshape(batch, seq, x.getShape().get(1));
    NDArray delta = hooks.linearDelta(layer, module, x3, ctx);
    return delta == null ? y : y.add(delta.reshape(y.getShape()));
  }

  private NDArray linear(
      int layer, int module, NDArray x, long batch, long seq, EncoderHooks hooks, HookContext ctx) {
    NDArray y =
        x.getNDArrayInternal()
            .linear(x, linearW[layer][module], linearB[layer][module])
            .singletonOrThrow();
    return withDelta(y, layer, module, x, batch, seq, hooks, ctx);
  }

  private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
    return x.getNDArrayInternal()
        .layerNorm(x, hiddenShape, gamma, beta, config.layerNormEps())
        .singletonOrThrow();
  }

  @Override
  public void close() {
    if (fused != null) {
      fused.close();
      scriptedBlock.close();
    }
    manager.close();
  }
}
