package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>{@link Precision#BF16}: the linear layers' weights and biases and the word-embedding table are
 * held in bfloat16 inside libtorch ({@link Bf16Base}), with no float32 copy in libtorch; each
 * frozen product rounds its float32 input to bfloat16 and returns float32. LayerNorm, the position
 * and token-type embeddings, attention, GELU and residuals stay float32, as do adapters and their
 * gradients. Those bfloat16 tensors cannot be handed out as arrays: {@link #linearWeight} and
 * {@link #weight} refuse them, {@link #frozenValues} gives float32 copies, {@link #linearShape}
 * their shapes.
 */
public final class BertEncoder implements AutoCloseable {

  private static final String WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";

  /** Added to attention scores at padded positions, as Hugging Face does (float32 minimum). */
  private static final float MASKED = -Float.MAX_VALUE;

  private final BertConfig config;
  private final Precision precision;
  private final NDManager manager;
  private final Map<String, NDArray> weights = new HashMap<>();
  private final NDArray[][] linearW;
  private final NDArray[][] linearB;
  private final NDArray[][] productW; // per layer and module >= 3: unnamed views for ScriptedBlock
  private final NDArray[][] productB;
  private final NDArray[] qkvW; // per layer: query, key, value weights stacked, (3 hidden, hidden)
  private final NDArray[] qkvB;
  private final NDArray[][] layerNorms; // per layer: attnLnW, attnLnB, outLnW, outLnB
  private final Shape hiddenShape;
  private final ScriptedAttention attentionModule;
  private final ScriptedBlock scripted; // fp32 products and base-model blocks; null in bf16
  private final NDArray[][] blockTensors; // per layer, in ScriptedBlock.apply's order (fp32)
  private final Bf16Base bf16; // the bfloat16 tensors and products; null in fp32
  private final Set<String> bf16Names; // tensors held in bfloat16 (empty in fp32)

  /**
   * Copies the weights into a new child manager of {@code parent}. The query, key and value weights
   * (and biases) of a block are stored as one (3 hidden, hidden) tensor so that the three
   * projections run as one matrix product; {@link #linearWeight} and {@link #weight} return views
   * into it, so changing them (as merging an adapter does) changes the model.
   */
  public BertEncoder(BertWeights w, NDManager parent) {
    this(w, parent, Precision.FP32);
  }

  /**
   * Copies the weights into a new child manager of {@code parent}, in {@code precision}. In float32
   * as {@link #BertEncoder(BertWeights, NDManager)}; in bfloat16 the linear weights and biases and
   * the word-embedding table go into libtorch rounded to bfloat16 (nearest even), one tensor at a
   * time through a temporary float32 copy that is freed at once, and the other tensors in float32.
   */
  public BertEncoder(BertWeights w, NDManager parent, Precision precision) {
    this.config = w.config();
    this.precision = java.util.Objects.requireNonNull(precision, "precision");
    this.manager = parent.newSubManager();
    if (precision == Precision.BF16) {
      this.hiddenShape = new Shape(config.hiddenSize());
      this.linearW = null;
      this.linearB = null;
      this.productW = null;
      this.productB = null;
      this.qkvW = null;
      this.qkvB = null;
      this.scripted = null;
      this.blockTensors = null;
      Set<String> names = new LinkedHashSet<>();
      this.bf16 = Bf16Base.load(manager, config.numLayers(), config.numHeads());
      try {
        this.layerNorms = loadBf16(w, names);
        this.attentionModule = ScriptedAttention.load(manager, config.numHeads());
      } catch (RuntimeException e) {
        manager.close();
        throw e;
      }
      this.bf16Names = Collections.unmodifiableSet(names);
      return;
    }
    this.bf16 = null;
    this.bf16Names = Set.of();
    this.hiddenShape = new Shape(config.hiddenSize());
    int layers = config.numLayers();
    int mods = BertWeights.LINEAR_MODULES.size();
    linearW = new NDArray[layers][mods];
    linearB = new NDArray[layers][mods];
    productW = new NDArray[layers][mods];
    productB = new NDArray[layers][mods];
    qkvW = new NDArray[layers];
    qkvB = new NDArray[layers];
    layerNorms = new NDArray[layers][];
    int hidden = config.hiddenSize();
    java.util.Set<String> fused = new java.util.HashSet<>();
    for (int i = 0; i < layers; i++) {
      float[][] qkv = BertWeights.fusedQkv(w::get, i, hidden);
      qkvW[i] = manager.create(qkv[0], new Shape(3L * hidden, hidden));
      qkvB[i] = manager.create(qkv[1], new Shape(3L * hidden));
      for (int m = 0; m < 3; m++) {
        String name = BertWeights.linearName(i, BertWeights.LINEAR_MODULES.get(m));
        fused.add(name + ".weight");
        fused.add(name + ".bias");
        NDIndex rows = new NDIndex("{}:{}", (long) m * hidden, (long) (m + 1) * hidden);
        NDArray wv = qkvW[i].get(rows); // a view: shares storage with the fused weight
        NDArray bv = qkvB[i].get(rows);
        wv.setName(name + ".weight");
        bv.setName(name + ".bias");
        weights.put(name + ".weight", wv);
        weights.put(name + ".bias", bv);
      }
    }
    putFloat32(w, fused);
    for (int i = 0; i < layers; i++) {
      for (int m = 0; m < mods; m++) {
        String name = BertWeights.linearName(i, BertWeights.LINEAR_MODULES.get(m));
        linearW[i][m] = weights.get(name + ".weight");
        linearB[i][m] = weights.get(name + ".bias");
        if (m >= 3) {
          // Views of the same storage without the name, which would make DJL pass a dictionary
          // to TorchScript instead of the tensor.
          productW[i][m] = linearW[i][m].reshape(linearW[i][m].getShape());
          productB[i][m] = linearB[i][m].reshape(linearB[i][m].getShape());
        }
      }
      layerNorms[i] = layerNormsOf(i);
    }
    this.attentionModule = ScriptedAttention.load(manager, config.numHeads());
    this.scripted = ScriptedBlock.load(manager);
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

  /**
   * Fills {@link #bf16} (the fused q/k/v, attention output, intermediate and output products of
   * each block, then the word-embedding table) and {@link #weights} (every other tensor, float32);
   * adds the names of the tensors held in bfloat16 to {@code names}.
   *
   * @return per layer its four LayerNorm tensors: the attention output's LayerNorm weight and bias,
   *     the block output's LayerNorm weight and bias
   */
  private NDArray[][] loadBf16(BertWeights w, Set<String> names) {
    int layers = config.numLayers();
    int hidden = config.hiddenSize();
    for (int i = 0; i < layers; i++) {
      float[][] qkv = BertWeights.fusedQkv(w::get, i, hidden);
      try (NDManager scratch = manager.newSubManager()) {
        bf16.store(
            scratch.create(qkv[0], new Shape(3L * hidden, hidden)),
            scratch.create(qkv[1], new Shape(3L * hidden)));
      }
      for (int m = 3; m < BertWeights.LINEAR_MODULES.size(); m++) {
        String name = BertWeights.linearName(i, BertWeights.LINEAR_MODULES.get(m));
        HostTensor tw = w.get(name + ".weight");
        HostTensor tb = w.get(name + ".bias");
        try (NDManager scratch = manager.newSubManager()) {
          bf16.store(
              scratch.create(tw.data(), new Shape(tw.shape())),
              scratch.create(tb.data(), new Shape(tb.shape())));
        }
      }
      for (String mod : BertWeights.LINEAR_MODULES) {
        names.add(BertWeights.linearName(i, mod) + ".weight");
        names.add(BertWeights.linearName(i, mod) + ".bias");
      }
    }
    HostTensor table = w.get(WORD_EMBEDDINGS);
    try (NDManager scratch = manager.newSubManager()) {
      bf16.storeTable(scratch.create(table.data(), new Shape(table.shape())));
    }
    names.add(WORD_EMBEDDINGS);
    if (!bf16.complete()) {
      throw new IllegalStateException("bfloat16 base incomplete"); // a bug, not a user error
    }
    putFloat32(w, names);
    NDArray[][] ln = new NDArray[layers][];
    for (int i = 0; i < layers; i++) {
      ln[i] = layerNormsOf(i);
    }
    return ln;
  }

  /** Puts every tensor of {@code w} but those in {@code skip} into {@link #weights}, float32. */
  private void putFloat32(BertWeights w, Set<String> skip) {
    for (var e : w.tensors().entrySet()) {
      if (skip.contains(e.getKey())) {
        continue;
      }
      HostTensor t = e.getValue();
      NDArray a = manager.create(t.data(), new Shape(t.shape()));
      a.setName(e.getKey());
      weights.put(e.getKey(), a);
    }
  }

  /**
   * Block {@code layer}'s LayerNorm tensors from {@link #weights}: the attention output's weight
   * and bias, then the block output's weight and bias.
   */
  private NDArray[] layerNormsOf(int layer) {
    String p = "encoder.layer." + layer + ".";
    return new NDArray[] {
      weights.get(p + "attention.output.LayerNorm.weight"),
      weights.get(p + "attention.output.LayerNorm.bias"),
      weights.get(p + "output.LayerNorm.weight"),
      weights.get(p + "output.LayerNorm.bias")
    };
  }

  public BertConfig config() {
    return config;
  }

  /** What the frozen weights are held and multiplied in. */
  public Precision precision() {
    return precision;
  }

  /**
   * The names of the tensors held in bfloat16 inside libtorch (the linear weights and biases and
   * the word-embedding table), which {@link #weight} refuses; empty in float32.
   */
  public Set<String> bf16TensorNames() {
    return bf16Names;
  }

  /**
   * The names of every tensor this encoder holds inside libtorch, in either precision: all of the
   * model's tensors. A holder of the model's weights need not keep their values on the Java heap
   * too; {@link #frozenValues} gives them.
   */
  public Set<String> heldTensorNames() {
    Set<String> names = new java.util.TreeSet<>(weights.keySet());
    names.addAll(bf16Names);
    return Collections.unmodifiableSet(names);
  }

  /** The manager that owns the frozen weights. */
  public NDManager manager() {
    return manager;
  }

  /**
   * The frozen weight of a linear module, (out, in). Changing it changes the model.
   *
   * @throws IllegalStateException with a bfloat16 base ({@link #requireFloat32Weights})
   */
  public NDArray linearWeight(int layer, int module) {
    if (bf16 != null) {
      requireFloat32Weights(
          "changing " + BertWeights.linearName(layer, BertWeights.LINEAR_MODULES.get(module)));
    }
    return linearW[layer][module];
  }

  /** The shape of a linear module's weight, (out, in), in either precision. */
  public Shape linearShape(int layer, int module) {
    if (layer < 0 || layer >= config.numLayers()) {
      throw new IllegalArgumentException(
          "no layer " + layer + " (the model has " + config.numLayers() + ")");
    }
    String name = BertWeights.linearName(layer, BertWeights.LINEAR_MODULES.get(module));
    return new Shape(BertWeights.expectedShapes(config).get(name + ".weight"));
  }

  /**
   * Throws unless the frozen weights are float32 arrays that can be changed in place (merging an
   * adapter into them, FedEx-LoRA's residuals).
   *
   * @param what what needs them, e.g. {@code "merging a LoRA adapter"}
   * @throws IllegalStateException with a bfloat16 base, naming {@code what} and the setting
   */
  public void requireFloat32Weights(String what) {
    if (bf16 != null) {
      throw new IllegalStateException(
          what
              + " needs the frozen weights as float32 arrays, but this encoder holds its linear"
              + " weights in bfloat16 inside libtorch (model.precision / --precision bf16 or auto),"
              + " where they cannot be changed in place; use model.precision = \"fp32\" (--precision"
              + " fp32)");
    }
  }

  /**
   * A frozen tensor by its Hugging Face name. Changing it changes the model.
   *
   * @throws IllegalArgumentException if there is no such tensor
   * @throws IllegalStateException for a tensor held in bfloat16 ({@link #bf16TensorNames}); {@link
   *     #frozenValues} gives its values
   */
  public NDArray weight(String name) {
    if (bf16Names.contains(name)) {
      requireFloat32Weights(
          "encoder.weight(\"" + name + "\") (for a float32 copy use frozenValues)");
    }
    NDArray a = weights.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no weight named " + name);
    }
    return a;
  }

  /**
   * The values of a frozen tensor as the model computes with them, in float32 on the Java heap, in
   * either precision: in float32 the tensor's values; for a tensor held in bfloat16 its bfloat16
   * values widened to float32 (exactly), copied out of libtorch. A copy: changing it changes
   * nothing.
   *
   * @throws IllegalArgumentException if there is no such tensor
   */
  public HostTensor frozenValues(String name) {
    if (!bf16Names.contains(name)) {
      NDArray a = weight(name);
      return new HostTensor(a.getShape().getShape(), a.toFloatArray());
    }
    try (NDManager m = manager.newSubManager()) {
      if (name.equals(WORD_EMBEDDINGS)) {
        NDArray t = bf16.tableValues(m);
        return new HostTensor(t.getShape().getShape(), t.toFloatArray());
      }
      // encoder.layer.L.<module>.weight|bias
      String[] parts = name.split("\\.", 4);
      int layer = Integer.parseInt(parts[2]);
      String rest = parts[3];
      boolean isWeight = rest.endsWith(".weight");
      int module =
          BertWeights.LINEAR_MODULES.indexOf(
              rest.substring(0, rest.length() - (isWeight ? ".weight" : ".bias").length()));
      int slot = Bf16Base.SLOTS_PER_LAYER * layer + Math.max(0, module - 2);
      NDArray t = isWeight ? bf16.weightValues(slot, m) : bf16.biasValues(slot, m);
      float[] all = t.toFloatArray();
      long[] shape = linearShape(layer, module).getShape();
      if (!isWeight) {
        shape = new long[] {shape[0]};
      }
      int n = Math.toIntExact(HostTensor.numel(shape));
      if (module >= 3) {
        return new HostTensor(shape, all);
      }
      // Query, key and value are row blocks of the fused slot.
      return new HostTensor(shape, java.util.Arrays.copyOfRange(all, module * n, (module + 1) * n));
    }
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
    NDArray h; // (batch, seq, hidden)
    if (bf16 != null) {
      h = bf16.embed(ids);
    } else {
      NDArrayEx ex = ids.getNDArrayInternal();
      h = ex.embedding(ids, weights.get(WORD_EMBEDDINGS), SparseFormat.DENSE).singletonOrThrow();
    }
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
      boolean base = layer < firstAdapted;
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
                  ? scriptedBase(layer, x, maskBias, batch, seq)
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

  /** A base-model block in one TorchScript call, in this encoder's precision. */
  private NDArray scriptedBase(int layer, NDArray x, NDArray maskBias, long batch, long seq) {
    return bf16 != null
        ? bf16.block(
            x,
            layer,
            layerNorms[layer],
            maskBias,
            batch,
            seq,
            config.numHeads(),
            config.layerNormEps())
        : scripted.apply(
            x, blockTensors[layer], maskBias, batch, seq, config.numHeads(), config.layerNormEps());
  }

  private NDArray block(
      int layer,
      NDArray x,
      long batch,
      long seq,
      NDArray maskBias,
      EncoderHooks hooks,
      HookContext ctx) {
    NDArray sum; // the attention output plus the residual x
    if (bf16 != null) {
      // The q/k/v product, attention and (unless the hooks change it) the output product in one
      // call, in bfloat16; the hooks' changes of q, k and v are computed here, in float32, as
      // factors where the hooks offer them (EncoderHooks.linearLowRank), else whole.
      NDArray x3 = x.reshape(batch, seq, config.hiddenSize());
      NDArray[] d = new NDArray[3];
      LowRankDelta[] f = new LowRankDelta[3];
      for (int m = 0; m < 3; m++) {
        if (!hooks.changesLinear(layer, m)) {
          continue;
        }
        LowRankDelta low = hooks.linearLowRank(layer, m, x3, ctx);
        if (low != null) {
          NDArray down = low.down();
          f[m] = new LowRankDelta(down.reshape(batch * seq, down.getShape().tail()), low.up());
        } else {
          NDArray delta = hooks.linearDelta(layer, m, x3, ctx);
          d[m] = delta == null ? null : delta.reshape(batch * seq, config.hiddenSize());
        }
      }
      if (hooks.changesLinear(layer, 3)) {
        NDArray context = bf16.attention(x3, layer, d, f, maskBias, false);
        sum = linear(layer, 3, context, batch, seq, hooks, ctx).add(x);
      } else {
        sum = bf16.attention(x3, layer, d, f, maskBias, true);
      }
    } else {
      long hidden = config.hiddenSize();
      // Query, key and value in one product; split gives views whose gradients are concatenated.
      NDArray qkv = scripted.linear(x, qkvW[layer], qkvB[layer]);
      NDList parts = qkv.split(new long[] {hidden, 2 * hidden}, 1);
      NDArray q = withDelta(parts.get(0), layer, 0, x, batch, seq, hooks, ctx);
      NDArray k = withDelta(parts.get(1), layer, 1, x, batch, seq, hooks, ctx);
      NDArray v = withDelta(parts.get(2), layer, 2, x, batch, seq, hooks, ctx);
      NDArray context = attention(q, k, v, batch, seq, maskBias);
      sum = linear(layer, 3, context, batch, seq, hooks, ctx).add(x);
    }
    NDArray h1 = layerNorm(sum, layerNorms[layer][0], layerNorms[layer][1]);
    NDArray out; // the feed-forward output plus the residual h1
    if (bf16 != null && !hooks.changesLinear(layer, 4) && !hooks.changesLinear(layer, 5)) {
      // Both products unchanged: one call, the intermediate activations kept in bfloat16.
      out = bf16.feedForward(h1, Bf16Base.SLOTS_PER_LAYER * layer + 2);
    } else {
      NDArray inter = linear(layer, 4, h1, batch, seq, hooks, ctx);
      inter = inter.getNDArrayInternal().gelu(); // exact (erf) GELU, as BERT's "gelu"
      out = linear(layer, 5, inter, batch, seq, hooks, ctx).add(h1);
    }
    return layerNorm(out, layerNorms[layer][2], layerNorms[layer][3]);
  }

  /**
   * Multi-head scaled dot-product attention exactly as this encoder's own blocks compute it ({@link
   * ScriptedAttention}), for adapters that add attention of their own (FedBE's expansion blocks).
   * Autograd records through it.
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
    int hidden = config.hiddenSize();
    return attentionModule.apply(
        q.reshape(batch, seq, hidden),
        k.reshape(batch, seq, hidden),
        v.reshape(batch, seq, hidden),
        maskBias);
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
        bf16 != null
            ? bf16.linear(x, Bf16Base.SLOTS_PER_LAYER * layer + module - 2)
            : scripted.linear(x, productW[layer][module], productB[layer][module]);
    return withDelta(y, layer, module, x, batch, seq, hooks, ctx);
  }

  private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
    return x.getNDArrayInternal()
        .layerNorm(x, hiddenShape, gamma, beta, config.layerNormEps())
        .singletonOrThrow();
  }

  @Override
  public void close() {
    attentionModule.close();
    if (scripted != null) {
      scripted.close();
    }
    if (bf16 != null) {
      bf16.close();
    }
    manager.close();
  }
}
