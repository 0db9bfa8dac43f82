package org.fedpeft.peft.topblocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.OptionException;
import org.fedpeft.io.Words;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.HookContext;
import org.fedpeft.peft.AbstractAdapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.tensor.HostTensor;

/**
 * Full fine-tuning of the top k blocks of the frozen encoder: a trainable GLOBAL copy of every
 * weight of blocks L-k .. L-1 (linear weights and biases and both LayerNorms; 16 tensors per block,
 * named as in the base model, e.g. {@code encoder.layer.5.attention.self.query.weight}), equal to
 * the base weights at init.
 *
 * <p>Through {@link #replaceBlock}, each of those blocks is computed from the copies with the same
 * operators, in the same order, as the encoder's own blocks (query, key and value as one product,
 * the encoder's {@link BertEncoder#attention}, post-LayerNorm residuals, exact GELU), so at init
 * the model is the base model to the bit. With a bfloat16 base ({@link
 * org.fedpeft.model.Precision#BF16}) the copies start as its bfloat16 values widened to float32 and
 * the copied blocks compute in float32 (trainable tensors stay float32), so at init the model
 * differs from the bfloat16 base model by that base's rounding of the products' inputs and outputs.
 * {@link #firstAdaptedLayer} is L-k: the blocks below run on the encoder's scripted path without
 * autograd and the backward pass stops at block L-k. The frozen weights are never changed; the base
 * model's dropout stays off. The copies can not be merged (use the saved tensors, which carry the
 * base model's names).
 */
public final class TopBlocksAdapter extends AbstractAdapter {

  /** The parts of a block, in tensor order, after {@code encoder.layer.<l>.}. */
  static final List<String> PARTS =
      List.of(
          "attention.self.query.weight",
          "attention.self.query.bias",
          "attention.self.key.weight",
          "attention.self.key.bias",
          "attention.self.value.weight",
          "attention.self.value.bias",
          "attention.output.dense.weight",
          "attention.output.dense.bias",
          "attention.output.LayerNorm.weight",
          "attention.output.LayerNorm.bias",
          "intermediate.dense.weight",
          "intermediate.dense.bias",
          "output.dense.weight",
          "output.dense.bias",
          "output.LayerNorm.weight",
          "output.LayerNorm.bias");

  private final int blocks;
  private final int first; // L - k
  private final BertEncoder encoder;
  private final BertConfig config;
  private final NDManager manager;
  private final NDArray[][] w; // per copied block (index layer - first), in PARTS order
  private final Shape hiddenShape;

  /**
   * Copies the top {@code blocks} blocks of {@code encoder}.
   *
   * @throws IllegalArgumentException if {@code blocks} is not in [1, L]
   */
  public TopBlocksAdapter(int blocks, BertEncoder encoder) {
    super(TopBlocksMethod.NAME);
    this.config = encoder.config();
    int layers = config.numLayers();
    if (blocks < 1 || blocks > layers) {
      throw new OptionException(
          TopBlocksMethod.NAME,
          "blocks",
          " = "
              + blocks
              + " must be in [1, "
              + layers
              + "] (the encoder has "
              + layers
              + " "
              + Words.plural(layers, "block")
              + ")");
    }
    this.blocks = blocks;
    this.first = layers - blocks;
    this.encoder = encoder;
    this.hiddenShape = new Shape(config.hiddenSize());
    this.manager = encoder.manager().newSubManager();
    this.w = new NDArray[blocks][];
    try {
      for (int b = 0; b < blocks; b++) {
        int layer = first + b;
        w[b] = new NDArray[PARTS.size()];
        for (int p = 0; p < PARTS.size(); p++) {
          String name = "encoder.layer." + layer + "." + PARTS.get(p);
          HostTensor base = encoder.frozenValues(name);
          NDArray copy = manager.create(base.data(), new Shape(base.shape()));
          copy.setRequiresGradient(true);
          w[b][p] = copy;
          addTensor(new AdapterTensor(name, Role.GLOBAL, copy));
        }
      }
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  @Override
  public Map<String, String> options() {
    return Map.of("blocks", Integer.toString(blocks));
  }

  /** True: the copied blocks' forward reads their tensors only. */
  @Override
  public boolean concurrentBatches() {
    return true;
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    return false; // replaced blocks' modules are this adapter's own; the others are unchanged
  }

  /** L - k while enabled (the lowest copied block), else {@link Integer#MAX_VALUE}. */
  @Override
  public int firstAdaptedLayer() {
    return isEnabled() ? first : Integer.MAX_VALUE;
  }

  /** Blocks L-k .. L-1 computed from the copies; null for the blocks below or when disabled. */
  @Override
  public NDArray replaceBlock(int layer, NDArray hidden, HookContext ctx) {
    if (!isEnabled() || layer < first) {
      return null;
    }
    NDArray[] t = w[layer - first];
    long batch = hidden.getShape().get(0);
    long seq = hidden.getShape().get(1);
    long h = config.hiddenSize();
    NDArray x = hidden.reshape(batch * seq, h);
    NDArray maskBias = ctx.value(HookContext.ATTENTION_MASK_BIAS);
    // The encoder's block, operator for operator: one (3 hidden, hidden) product for the query,
    // key and value projections (the copies concatenated, so the product equals the encoder's
    // fused one), split into views.
    NDArray qkvW = NDArrays.concat(new NDList(t[0], t[2], t[4]), 0);
    NDArray qkvB = NDArrays.concat(new NDList(t[1], t[3], t[5]), 0);
    NDArray qkv = x.getNDArrayInternal().linear(x, qkvW, qkvB).singletonOrThrow();
    NDList parts = qkv.split(new long[] {h, 2 * h}, 1);
    NDArray context =
        encoder.attention(parts.get(0), parts.get(1), parts.get(2), batch, seq, maskBias);
    NDArray attn = linear(context, t[6], t[7]);
    NDArray h1 = layerNorm(attn.add(x), t[8], t[9]);
    NDArray inter = linear(h1, t[10], t[11]).getNDArrayInternal().gelu();
    NDArray out = linear(inter, t[12], t[13]);
    return layerNorm(out.add(h1), t[14], t[15]).reshape(batch, seq, h);
  }

  private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
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
