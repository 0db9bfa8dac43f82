package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The float32 frozen products of the encoder ({@code x W^T + b}), and a whole BERT block for the
 * base model (no adapter hooks) as one TorchScript call.
 *
 * <p><b>Products.</b> A frozen product is {@code addmm(b, x, W^T)}, as DJL's {@code linear}
 * computes it (MKL's sgemm; on AMD CPUs with its AVX-512 kernels through {@link
 * org.fedpeft.engine.MklDispatch}). The weight and bias stay ordinary dense float32 tensors, read
 * at each call, so changing them in place (merging an adapter, FedEx-LoRA's residuals) changes the
 * model. (oneDNN's float32 inner product, {@code mkldnn_linear}, was an opt-in alternative until it
 * gave wrong products on a Zen 5 at some small shapes; docs/performance.md.)
 *
 * <p><b>Blocks.</b> {@link #apply} runs when nothing in the block needs a gradient (embedding, the
 * frozen encoder), so it may work in place. It has the same operators with the same operands, in
 * the same order, as {@link BertEncoder}'s block, the same attention (the method text of {@link
 * ScriptedAttention#method}) and the same products ({@link #linear} and the block both call the
 * module's {@code product} method), so the results are bit for bit the same (the adapter
 * conformance tests compare a disabled adapter with the base model exactly). What differs: the
 * residual adds and GELU work in place (no new tensors), and the ~100 DJL operations of a block are
 * one JNI call.
 *
 * <p>Tried: accumulating the output products into {@code residual + bias} in place ({@code
 * addmm_}), which saves two memory passes per residual, but sums in another order and so breaks
 * that exact equality.
 */
final class ScriptedBlock implements AutoCloseable {

  private static final String NAME = "FedpeftBlock";
  private static final String SELF = "self: __torch__." + NAME;
  private static final String ARGS =
      "    x: Tensor,\n"
          + "    qkv_w: Tensor,\n"
          + "    qkv_b: Tensor,\n"
          + "    o_w: Tensor,\n"
          + "    o_b: Tensor,\n"
          + "    ln1_w: Tensor,\n"
          + "    ln1_b: Tensor,\n"
          + "    i_w: Tensor,\n"
          + "    i_b: Tensor,\n"
          + "    out_w: Tensor,\n"
          + "    out_b: Tensor,\n"
          + "    ln2_w: Tensor,\n"
          + "    ln2_b: Tensor,\n"
          + "    batch: int,\n"
          + "    seq: int,\n"
          + "    heads: int,\n"
          + "    eps: float";
  private static final String CALL =
      "x, qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, i_w, i_b, out_w, out_b, ln2_w, ln2_b, batch, seq,"
          + " heads, eps";
  private static final String BODY =
      "  def forward("
          + SELF
          + ",\n"
          + ARGS
          + ") -> Tensor:\n"
          + "    return self.run("
          + CALL
          + ", None)\n"
          + "  def masked("
          + SELF
          + ",\n"
          + ARGS
          + ",\n    mask: Tensor) -> Tensor:\n"
          + "    return self.run("
          + CALL
          + ", mask)\n"
          + "  def run("
          + SELF
          + ",\n"
          + ARGS
          + ",\n    mask: Optional[Tensor]) -> Tensor:\n"
          + "    hidden = x.size(1)\n"
          + "    qkv = self.product(x, qkv_w, qkv_b)\n"
          + "    ctx = self.multi_head(qkv[:, 0:hidden], qkv[:, hidden:2 * hidden],\n"
          + "                          qkv[:, 2 * hidden:3 * hidden], mask, batch, seq, heads)\n"
          + "    a = self.product(ctx, o_w, o_b).add_(x)\n"
          + "    h1 = torch.layer_norm(a, [hidden], ln1_w, ln1_b, eps)\n"
          + "    inter = self.product(h1, i_w, i_b)\n"
          + "    inter = torch.gelu_(inter)\n"
          + "    o = self.product(inter, out_w, out_b).add_(h1)\n"
          + "    return torch.layer_norm(o, [hidden], ln2_w, ln2_b, eps)\n"
          + "  def product("
          + SELF
          + ", x: Tensor, w: Tensor, b: Tensor) -> Tensor:\n"
          + "    return torch.addmm(b, x, torch.t(w))\n";

  private final TorchScriptModule module;

  private ScriptedBlock(TorchScriptModule module) {
    this.module = module;
  }

  /** Loads the module. */
  static ScriptedBlock load(NDManager manager) {
    return new ScriptedBlock(
        TorchScriptModule.load(manager, NAME, BODY + ScriptedAttention.method(SELF, true)));
  }

  /**
   * A frozen product {@code x W^T + b}, float32: DJL's {@code linear}, the same {@code addmm} as
   * the module's; autograd records through it.
   *
   * @param x (tokens, in)
   * @param w (out, in)
   * @param b (out)
   * @return (tokens, out), owned by {@code x}'s manager
   */
  NDArray linear(NDArray x, NDArray w, NDArray b) {
    return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
  }

  /**
   * One block.
   *
   * @param x (batch * seq, hidden)
   * @param w the block's tensors: fused q/k/v weight and bias, attention output weight and bias,
   *     LayerNorm weight and bias, intermediate weight and bias, output weight and bias, LayerNorm
   *     weight and bias
   * @param maskBias null or (batch, 1, 1, seq), added to the scaled scores
   * @return (batch * seq, hidden), owned by {@code x}'s manager
   */
  NDArray apply(
      NDArray x, NDArray[] w, NDArray maskBias, long batch, long seq, int heads, float eps) {
    return module.runToTensor(
        maskBias == null ? "forward" : "masked",
        x.getManager(),
        blockArguments(new Object[] {x}, w, maskBias, batch, seq, heads, eps));
  }

  /**
   * The arguments of a scripted block method in the order its signature has them: {@code leading},
   * the block's tensors, batch, seq, heads, eps and, when there is one, the mask bias.
   */
  static Object[] blockArguments(
      Object[] leading,
      NDArray[] tensors,
      NDArray maskBias,
      long batch,
      long seq,
      int heads,
      float eps) {
    Object[] args = new Object[leading.length + tensors.length + 4 + (maskBias == null ? 0 : 1)];
    int k = 0;
    for (Object a : leading) {
      args[k++] = a;
    }
    for (NDArray t : tensors) {
      args[k++] = t;
    }
    args[k++] = batch;
    args[k++] = seq;
    args[k++] = (long) heads;
    args[k++] = (double) eps;
    if (maskBias != null) {
      args[k] = maskBias;
    }
    return args;
  }

  @Override
  public void close() {
    module.close();
  }
}
