package org.fedpeft.peft.expansion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.BertWeights;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.tensor.HostTensor;

/**
 * One new transformer block of FedBE, in pre-LayerNorm form:
 *
 * <pre>
 *   h   = x + W_o Attn(LN_a(x)) + b_o
 *   out = h + W_2 GELU(W_1 LN_f(h) + b_1) + b_2
 * </pre>
 *
 * <p>At init W_o, b_o, W_2 and b_2 are zero, so both residual branches add exactly zero and the
 * block is the identity to the bit; every other tensor is copied from the base block it follows
 * (block p; with a bfloat16 base, its bfloat16 values widened to float32, {@link
 * BertEncoder#frozenValues}), chosen so that each copied sub-layer reads inputs in the form it was
 * trained on: LN_a is the LayerNorm that produced block p's own input (block p-1's output
 * LayerNorm, or the embedding LayerNorm for p = 0), the query, key and value projections are block
 * p's, LN_f is block p's attention-output LayerNorm (whose output block p's intermediate layer
 * reads) and W_1, b_1 are block p's intermediate layer. Attention is the encoder's own ({@link
 * BertEncoder#attention}), with the batch's padding mask.
 *
 * <p>Tensors, all GLOBAL, named {@code fedbe.<j>.<part>}: {@code attn_ln.weight}, {@code
 * attn_ln.bias}, {@code qkv.weight} (3 hidden, hidden: query, key, value stacked), {@code
 * qkv.bias}, {@code attn_out.weight}, {@code attn_out.bias}, {@code ffn_ln.weight}, {@code
 * ffn_ln.bias}, {@code ffn_in.weight} (intermediate, hidden), {@code ffn_in.bias}, {@code
 * ffn_out.weight} (hidden, intermediate), {@code ffn_out.bias}.
 */
final class ExpansionBlock {

  /** The parts of a block, in tensor order. */
  static final List<String> PARTS =
      List.of(
          "attn_ln.weight",
          "attn_ln.bias",
          "qkv.weight",
          "qkv.bias",
          "attn_out.weight",
          "attn_out.bias",
          "ffn_ln.weight",
          "ffn_ln.bias",
          "ffn_in.weight",
          "ffn_in.bias",
          "ffn_out.weight",
          "ffn_out.bias");

  private final int index;
  private final int position;
  private final BertConfig config;
  private final NDArray[] t; // in PARTS order
  private final List<AdapterTensor> tensors = new ArrayList<>();

  /**
   * Builds new block {@code index}, which follows base block {@code position}, in {@code manager}.
   */
  ExpansionBlock(int index, int position, BertEncoder encoder, NDManager manager) {
    this.index = index;
    this.position = position;
    this.config = encoder.config();
    int h = config.hiddenSize();
    int f = config.intermediateSize();
    String base = "encoder.layer." + position + ".";
    String inputLn =
        position == 0
            ? "embeddings.LayerNorm"
            : "encoder.layer." + (position - 1) + ".output.LayerNorm";
    float[][] qkv = BertWeights.fusedQkv(encoder::frozenValues, position, h);
    t =
        new NDArray[] {
          copy(manager, encoder, inputLn + ".weight"),
          copy(manager, encoder, inputLn + ".bias"),
          manager.create(qkv[0], new Shape(3L * h, h)),
          manager.create(qkv[1], new Shape(3L * h)),
          manager.zeros(new Shape(h, h)),
          manager.zeros(new Shape(h)),
          copy(manager, encoder, base + "attention.output.LayerNorm.weight"),
          copy(manager, encoder, base + "attention.output.LayerNorm.bias"),
          copy(manager, encoder, base + "intermediate.dense.weight"),
          copy(manager, encoder, base + "intermediate.dense.bias"),
          manager.zeros(new Shape(h, f)),
          manager.zeros(new Shape(h))
        };
    for (int i = 0; i < t.length; i++) {
      t[i].setRequiresGradient(true);
      tensors.add(new AdapterTensor(prefix(index) + PARTS.get(i), Role.GLOBAL, t[i]));
    }
  }

  private static NDArray copy(NDManager manager, BertEncoder encoder, String name) {
    HostTensor w = encoder.frozenValues(name);
    return manager.create(w.data(), new Shape(w.shape()));
  }

  /** The name prefix of block {@code index}'s tensors, {@code fedbe.<index>.}. */
  static String prefix(int index) {
    return "fedbe." + index + ".";
  }

  int index() {
    return index;
  }

  /** The base block this block follows. */
  int position() {
    return position;
  }

  List<AdapterTensor> tensors() {
    return tensors;
  }

  /** Turns gradient recording of this block's tensors on or off. */
  void setRequiresGradient(boolean on) {
    for (NDArray a : t) {
      a.setRequiresGradient(on);
    }
  }

  /**
   * The block on {@code x}.
   *
   * @param x (batch * seq, hidden)
   * @param maskBias the encoder's attention-mask bias, or null without padding
   * @return (batch * seq, hidden)
   */
  NDArray forward(
      NDArray x, long batch, long seq, NDArray maskBias, BertEncoder encoder, Shape hiddenShape) {
    long hidden = config.hiddenSize();
    float eps = config.layerNormEps();
    NDArray a =
        x.getNDArrayInternal().layerNorm(x, hiddenShape, t[0], t[1], eps).singletonOrThrow();
    NDArray qkv = a.getNDArrayInternal().linear(a, t[2], t[3]).singletonOrThrow();
    NDList parts = qkv.split(new long[] {hidden, 2 * hidden}, 1);
    NDArray context =
        encoder.attention(parts.get(0), parts.get(1), parts.get(2), batch, seq, maskBias);
    NDArray attn = context.getNDArrayInternal().linear(context, t[4], t[5]).singletonOrThrow();
    NDArray h = x.add(attn);
    NDArray g =
        h.getNDArrayInternal().layerNorm(h, hiddenShape, t[6], t[7], eps).singletonOrThrow();
    NDArray inter = g.getNDArrayInternal().linear(g, t[8], t[9]).singletonOrThrow();
    inter = inter.getNDArrayInternal().gelu();
    NDArray out = inter.getNDArrayInternal().linear(inter, t[10], t[11]).singletonOrThrow();
    return h.add(out);
  }
}
