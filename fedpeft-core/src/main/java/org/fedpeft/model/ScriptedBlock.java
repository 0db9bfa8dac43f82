package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;

/**
 * A whole BERT block for the base model (no adapter hooks), as one TorchScript call: used when
 * nothing in the block needs a gradient (embedding, the frozen encoder), so it may work in place.
 *
 * <p>The same operators with the same operands, in the same order, as {@link BertEncoder}'s block
 * with fused attention, so the results are bit for bit the same (the adapter conformance tests
 * compare a disabled adapter with the base model exactly). What differs: the residual adds and GELU
 * work in place (no new tensors), and the ~100 DJL operations of a block are one JNI call.
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
          + "    head = hidden // heads\n"
          + "    qkv = torch.addmm(qkv_b, x, torch.t(qkv_w))\n"
          + "    q = qkv[:, 0:hidden].reshape([batch, seq, heads, head]).transpose(1, 2)\n"
          + "    k = qkv[:, hidden:2 * hidden].reshape([batch, seq, heads, head]).transpose(1, 2)\n"
          + "    v = qkv[:, 2 * hidden:3 * hidden].reshape([batch, seq, heads, head]).transpose(1, 2)\n"
          + "    ctx = torch.scaled_dot_product_attention(q, k, v, mask)\n"
          + "    ctx = ctx.transpose(1, 2).reshape([batch * seq, hidden])\n"
          + "    a = torch.addmm(o_b, ctx, torch.t(o_w)).add_(x)\n"
          + "    h1 = torch.layer_norm(a, [hidden], ln1_w, ln1_b, eps)\n"
          + "    inter = torch.addmm(i_b, h1, torch.t(i_w))\n"
          + "    inter = torch.gelu_(inter)\n"
          + "    o = torch.addmm(out_b, inter, torch.t(out_w)).add_(h1)\n"
          + "    return torch.layer_norm(o, [hidden], ln2_w, ln2_b, eps)\n";

  private final TorchScriptModule module;

  private ScriptedBlock(TorchScriptModule module) {
    this.module = module;
  }

  static ScriptedBlock load(NDManager manager) {
    return new ScriptedBlock(TorchScriptModule.load(manager, NAME, BODY));
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
    int n = 1 + w.length + 4 + (maskBias == null ? 0 : 1);
    IValue[] args = new IValue[n];
    try {
      int k = 0;
      args[k++] = IValue.from((PtNDArray) x);
      for (NDArray t : w) {
        args[k++] = IValue.from((PtNDArray) t);
      }
      args[k++] = IValue.from(batch);
      args[k++] = IValue.from(seq);
      args[k++] = IValue.from((long) heads);
      args[k++] = IValue.from((double) eps);
      if (maskBias != null) {
        args[k++] = IValue.from((PtNDArray) maskBias);
      }
      try (IValue out = module.run(maskBias == null ? "forward" : "masked", args)) {
        return out.toTensor((PtNDManager) x.getManager());
      }
    } finally {
      for (IValue a : args) {
        if (a != null) {
          a.close();
        }
      }
    }
  }

  @Override
  public void close() {
    module.close();
  }
}
