package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * The bfloat16 part of a frozen encoder ({@link Precision#BF16}): the linear layers' weights and
 * biases and the word-embedding table, held in bfloat16 inside a TorchScript module (as its {@code
 * List[Tensor]} attributes, {@link TorchScriptArchive#write(String, List, String)}), with the
 * module's methods that use them. DJL 0.35.1 cannot hold a bfloat16 array (converting one aborts
 * the JVM), so these tensors never leave libtorch: Java passes float32 arrays and slot numbers in
 * and gets float32 arrays back.
 *
 * <p>Slots: per block {@code 4 * layer + k}, k = 0 the fused query/key/value product (3 hidden,
 * hidden), 1 the attention output, 2 the intermediate and 3 the output product.
 *
 * <p>A frozen product is {@code addmm(b, x.to(bf16), w^T).float()}: the float32 input is rounded to
 * bfloat16, the product of the bfloat16 operands accumulates in float32 (oneDNN) with the bias, and
 * its bfloat16 result is widened to float32. The casts and {@code addmm} are differentiable, so
 * autograd carries a gradient back to the product's input (computed in bfloat16 the same way); the
 * frozen tensors never require one. The operator-by-operator block ({@link #linear}) and the whole
 * base-model block ({@link #block}) call the same method for each product, so they give the same
 * bits.
 */
final class Bf16Base implements AutoCloseable {

  private static final String NAME = "FedpeftBf16Base";
  private static final String SELF = "self: __torch__." + NAME;
  private static final int BF16 = 15; // torch.bfloat16 as a ScalarType number
  private static final String BLOCK_ARGS =
      "    x: Tensor,\n"
          + "    layer: int,\n"
          + "    ln1_w: Tensor,\n"
          + "    ln1_b: Tensor,\n"
          + "    ln2_w: Tensor,\n"
          + "    ln2_b: Tensor,\n"
          + "    batch: int,\n"
          + "    seq: int,\n"
          + "    heads: int,\n"
          + "    eps: float";
  private static final String BLOCK_CALL =
      "x, layer, ln1_w, ln1_b, ln2_w, ln2_b, batch, seq, heads, eps";
  private static final String BODY =
      "  def store("
          + SELF
          + ", w: Tensor, b: Tensor) -> Tensor:\n"
          + "    self.w.append(w.to("
          + BF16
          + "))\n"
          + "    self.b.append(b.to("
          + BF16
          + "))\n"
          + "    return torch.zeros([1])\n"
          + "  def store_table("
          + SELF
          + ", t: Tensor) -> Tensor:\n"
          + "    self.table.append(t.to("
          + BF16
          + "))\n"
          + "    return torch.zeros([1])\n"
          + "  def product("
          + SELF
          + ", x: Tensor, i: int) -> Tensor:\n"
          + "    return torch.addmm(self.b[i], x.to("
          + BF16
          + "), torch.t(self.w[i])).float()\n"
          + "  def linear("
          + SELF
          + ", x: Tensor, i: Tensor) -> Tensor:\n"
          + "    return self.product(x, int(i))\n"
          + "  def embed("
          + SELF
          + ", ids: Tensor) -> Tensor:\n"
          + "    return torch.embedding(self.table[0], ids).float()\n"
          + "  def weight_values("
          + SELF
          + ", i: Tensor) -> Tensor:\n"
          + "    return self.w[int(i)].float()\n"
          + "  def bias_values("
          + SELF
          + ", i: Tensor) -> Tensor:\n"
          + "    return self.b[int(i)].float()\n"
          + "  def table_values("
          + SELF
          + ", i: Tensor) -> Tensor:\n"
          + "    return self.table[int(i)].float()\n"
          + "  def block("
          + SELF
          + ",\n"
          + BLOCK_ARGS
          + ") -> Tensor:\n"
          + "    return self.run("
          + BLOCK_CALL
          + ", None)\n"
          + "  def masked("
          + SELF
          + ",\n"
          + BLOCK_ARGS
          + ",\n    mask: Tensor) -> Tensor:\n"
          + "    return self.run("
          + BLOCK_CALL
          + ", mask)\n"
          + "  def run("
          + SELF
          + ",\n"
          + BLOCK_ARGS
          + ",\n    mask: Optional[Tensor]) -> Tensor:\n"
          + "    hidden = x.size(1)\n"
          + "    head = hidden // heads\n"
          + "    i = 4 * layer\n"
          + "    qkv = self.product(x, i)\n"
          + "    q = qkv[:, 0:hidden].reshape([batch, seq, heads, head]).transpose(1, 2)\n"
          + "    k = qkv[:, hidden:2 * hidden].reshape([batch, seq, heads, head]).transpose(1, 2)\n"
          + "    v = qkv[:, 2 * hidden:3 * hidden].reshape([batch, seq, heads, head]).transpose(1, 2)\n"
          + "    ctx = torch.scaled_dot_product_attention(q, k, v, mask)\n"
          + "    ctx = ctx.transpose(1, 2).reshape([batch * seq, hidden])\n"
          + "    a = self.product(ctx, i + 1).add_(x)\n"
          + "    h1 = torch.layer_norm(a, [hidden], ln1_w, ln1_b, eps)\n"
          + "    inter = torch.gelu_(self.product(h1, i + 2))\n"
          + "    o = self.product(inter, i + 3).add_(h1)\n"
          + "    return torch.layer_norm(o, [hidden], ln2_w, ln2_b, eps)\n";

  /** The linear products of a block, in slot order. */
  static final int SLOTS_PER_LAYER = 4;

  private final TorchScriptModule module;
  private final NDArray[] slotIndex; // int64 scalars: the slot numbers, as tensors for call()
  private int stored;
  private boolean tableStored;

  private Bf16Base(TorchScriptModule module, NDArray[] slotIndex) {
    this.module = module;
    this.slotIndex = slotIndex;
  }

  /** An empty module for {@code layers} blocks in {@code manager} (a PyTorch engine manager). */
  static Bf16Base load(NDManager manager, int layers) {
    TorchScriptModule module =
        TorchScriptModule.load(manager, NAME, List.of("w", "b", "table"), BODY);
    NDArray[] idx = new NDArray[layers * SLOTS_PER_LAYER];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = manager.create((long) i);
    }
    return new Bf16Base(module, idx);
  }

  /**
   * Stores the next slot's weight and bias, rounded to bfloat16 (nearest even); the float32 arrays
   * stay the caller's. Slots are stored in order.
   */
  void store(NDArray weight, NDArray bias) {
    module.call("store", new NDList(weight, bias)).close();
    stored++;
  }

  /** Stores the word-embedding table, rounded to bfloat16. */
  void storeTable(NDArray table) {
    module.call("store_table", new NDList(table)).close();
    tableStored = true;
  }

  /** Whether every slot of the {@code layers} blocks and the table are stored. */
  boolean complete() {
    return stored == slotIndex.length && tableStored;
  }

  /**
   * The frozen product of slot {@code slot} for a float32 input (tokens, in), as float32 (tokens,
   * out); autograd records through it. The result belongs to {@code x}'s manager.
   */
  NDArray linear(NDArray x, int slot) {
    return module.call("linear", new NDList(x, slotIndex[slot])).singletonOrThrow();
  }

  /** The float32 embeddings (batch, seq, hidden) of int64 token ids, gathered from the table. */
  NDArray embed(NDArray ids) {
    return module.call("embed", new NDList(ids)).singletonOrThrow();
  }

  /** Slot {@code slot}'s weight widened to float32 (exact), in {@code manager}. */
  NDArray weightValues(int slot, NDManager manager) {
    return values("weight_values", slot, manager);
  }

  /** Slot {@code slot}'s bias widened to float32 (exact), in {@code manager}. */
  NDArray biasValues(int slot, NDManager manager) {
    return values("bias_values", slot, manager);
  }

  /** The word-embedding table widened to float32 (exact), in {@code manager}. */
  NDArray tableValues(NDManager manager) {
    return values("table_values", 0, manager);
  }

  private NDArray values(String method, int index, NDManager manager) {
    NDArray out = module.call(method, new NDList(slotIndex[index])).singletonOrThrow();
    out.attach(manager);
    return out;
  }

  /**
   * One base-model block in one call with gradients off, as {@link ScriptedBlock#apply} does in
   * float32, with the same products as {@link #linear}.
   *
   * @param x (batch * seq, hidden), float32
   * @param ln the block's LayerNorm tensors (float32): the attention output's LayerNorm weight and
   *     bias, the block output's LayerNorm weight and bias
   * @param maskBias null or (batch, 1, 1, seq), added to the scaled scores
   * @return (batch * seq, hidden), owned by {@code x}'s manager
   */
  NDArray block(
      NDArray x,
      int layer,
      NDArray[] ln,
      NDArray maskBias,
      long batch,
      long seq,
      int heads,
      float eps) {
    return module.runToTensor(
        maskBias == null ? "block" : "masked",
        x.getManager(),
        ScriptedBlock.blockArguments(
            new Object[] {x, (long) layer}, ln, maskBias, batch, seq, heads, eps));
  }

  @Override
  public void close() {
    module.close();
  }
}
