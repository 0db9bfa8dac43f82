package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
 * frozen tensors never require one.
 *
 * <p>Where an adapter leaves a block's modules unchanged ({@link EncoderHooks#changesLinear}), the
 * encoder calls bigger pieces, whose activations stay in bfloat16 between the products: {@link
 * #attention} (the q/k/v product, the adapter's float32 changes of q, k and v rounded to bfloat16
 * and added, attention in bfloat16 and the attention output product) and {@link #feedForward} (both
 * feed-forward products and the GELU). Attention always runs as separate bfloat16 products and
 * softmax ({@link ScriptedAttention#method}): libtorch 2.7.1's fused operator has a bfloat16
 * backward about 7x slower than its float32 one on CPU, and on a Zen 5 its bfloat16 forward made
 * the whole forward 1.2-1.4x as long as with the separate operators. The adapted path and the whole
 * base-model block ({@link #block}) use the same methods, and a piece the adapter changes is
 * computed from the same bfloat16 values (widened exactly), so a disabled adapter is still exactly
 * the base model.
 */
final class Bf16Base implements AutoCloseable {

  private static final String NAME = "FedpeftBf16Base";
  private static final int BF16 = 15; // torch.bfloat16 as a ScalarType number
  // The module's methods; %1$s is the type of self, %2$d torch.bfloat16 as a ScalarType number.
  // attend: the fused q/k/v product (bfloat16), the adapters' changes of q, k and v (changed: a
  // float32 change rounded to bfloat16 and added, or factors down x up added in one product with
  // float32 accumulation), and attention in bfloat16 (float32 accumulation); returns
  // the context (tokens, hidden) in bfloat16. mm16: a frozen product of bfloat16 activations
  // (bias added, float32 accumulation), the one place the frozen weights are multiplied.
  // feed_forward: the intermediate product, GELU and output product, all in bfloat16, plus the
  // float32 residual x. A float32 tensor plus a bfloat16 one is computed in float32 (the bfloat16
  // value widened exactly), so "x + o16" equals "o16.float() + x" bit for bit (on CPU libtorch
  // still widens o16 to a float32 copy inside the add: a profile shows the cast there). The
  // differentiable methods (linear, attention, attention_context, ffn) take
  // only tensors: empty ones stand for None.
  private static final String BODY =
      """
        def store(%1$s, w: Tensor, b: Tensor) -> Tensor:
          self.w.append(w.to(%2$d))
          self.b.append(b.to(%2$d))
          return torch.zeros([1])
        def store_table(%1$s, t: Tensor) -> Tensor:
          self.table.append(t.to(%2$d))
          return torch.zeros([1])
        def mm16(%1$s, x16: Tensor, i: int) -> Tensor:
          return torch.addmm(self.b[i], x16, torch.t(self.w[i]))
        def product(%1$s, x: Tensor, i: int) -> Tensor:
          return self.mm16(x.to(%2$d), i).float()
        def linear(%1$s, x: Tensor, i: Tensor) -> Tensor:
          return self.product(x, int(i))
        def some(%1$s, t: Tensor) -> Optional[Tensor]:
          if t.numel() == 0:
            return None
          return t
        def changed(%1$s, t: Tensor, d: Optional[Tensor], down: Optional[Tensor],
                    up: Optional[Tensor]) -> Tensor:
          if d is not None:
            t = t + d.to(%2$d)
          if down is not None and up is not None:
            t = torch.addmm(t, down.to(%2$d), up.to(%2$d))
          return t
        def attend(%1$s, x: Tensor, i: int, dq: Optional[Tensor], dk: Optional[Tensor],
                   dv: Optional[Tensor], low: List[Optional[Tensor]], mask: Optional[Tensor],
                   batch: int, seq: int, heads: int) -> Tensor:
          hidden = x.size(1)
          qkv = self.mm16(x.to(%2$d), i)
          parts = torch.split(qkv, hidden, 1)
          q = parts[0]
          k = parts[1]
          v = parts[2]
          q = self.changed(q, dq, low[0], low[1])
          k = self.changed(k, dk, low[2], low[3])
          v = self.changed(v, dv, low[4], low[5])
          m: Optional[Tensor] = None
          if mask is not None:
            m = mask.clamp_min(-1.0e30).to(%2$d)
          return self.multi_head(q, k, v, m, batch, seq, heads)
        def attend_tensors(%1$s, x: Tensor, i: Tensor, heads: Tensor, dq: Tensor, dk: Tensor,
                           dv: Tensor, uq: Tensor, wq: Tensor, uk: Tensor, wk: Tensor,
                           uv: Tensor, wv: Tensor, mask: Tensor) -> Tensor:
          low = [self.some(uq), self.some(wq), self.some(uk), self.some(wk), self.some(uv),
                 self.some(wv)]
          return self.attend(x.flatten(0, 1), int(i), self.some(dq), self.some(dk),
                             self.some(dv), low, self.some(mask), x.size(0), x.size(1),
                             int(heads))
        def attention(%1$s, x: Tensor, i: Tensor, heads: Tensor, dq: Tensor, dk: Tensor,
                      dv: Tensor, uq: Tensor, wq: Tensor, uk: Tensor, wk: Tensor, uv: Tensor,
                      wv: Tensor, mask: Tensor) -> Tensor:
          ctx = self.attend_tensors(x, i, heads, dq, dk, dv, uq, wq, uk, wk, uv, wv, mask)
          return x.flatten(0, 1) + self.mm16(ctx, int(i) + 1)
        def attention_context(%1$s, x: Tensor, i: Tensor, heads: Tensor, dq: Tensor, dk: Tensor,
                              dv: Tensor, uq: Tensor, wq: Tensor, uk: Tensor, wk: Tensor,
                              uv: Tensor, wv: Tensor, mask: Tensor) -> Tensor:
          return self.attend_tensors(x, i, heads, dq, dk, dv, uq, wq, uk, wk, uv, wv,
                                     mask).float()
        def feed_forward(%1$s, x: Tensor, i: int) -> Tensor:
          inter = torch.gelu(self.mm16(x.to(%2$d), i))
          return x + self.mm16(inter, i + 1)
        def ffn(%1$s, x: Tensor, i: Tensor) -> Tensor:
          return self.feed_forward(x, int(i))
        def embed(%1$s, ids: Tensor) -> Tensor:
          return torch.embedding(self.table[0], ids).float()
        def weight_values(%1$s, i: Tensor) -> Tensor:
          return self.w[int(i)].float()
        def bias_values(%1$s, i: Tensor) -> Tensor:
          return self.b[int(i)].float()
        def table_values(%1$s, i: Tensor) -> Tensor:
          return self.table[int(i)].float()
        def block(%1$s, x: Tensor, layer: int, ln1_w: Tensor, ln1_b: Tensor, ln2_w: Tensor,
                  ln2_b: Tensor, batch: int, seq: int, heads: int, eps: float) -> Tensor:
          return self.run(x, layer, ln1_w, ln1_b, ln2_w, ln2_b, batch, seq, heads, eps, None)
        def masked(%1$s, x: Tensor, layer: int, ln1_w: Tensor, ln1_b: Tensor, ln2_w: Tensor,
                   ln2_b: Tensor, batch: int, seq: int, heads: int, eps: float,
                   mask: Tensor) -> Tensor:
          return self.run(x, layer, ln1_w, ln1_b, ln2_w, ln2_b, batch, seq, heads, eps, mask)
        def run(%1$s, x: Tensor, layer: int, ln1_w: Tensor, ln1_b: Tensor, ln2_w: Tensor,
                ln2_b: Tensor, batch: int, seq: int, heads: int, eps: float,
                mask: Optional[Tensor]) -> Tensor:
          hidden = x.size(1)
          i = 4 * layer
          none: List[Optional[Tensor]] = [None, None, None, None, None, None]
          ctx = self.attend(x, i, None, None, None, none, mask, batch, seq, heads)
          a = x + self.mm16(ctx, i + 1)
          h1 = torch.layer_norm(a, [hidden], ln1_w, ln1_b, eps)
          o = self.feed_forward(h1, i + 2)
          return torch.layer_norm(o, [hidden], ln2_w, ln2_b, eps)
      """
          .formatted("self: __torch__." + NAME, BF16);

  /** The linear products of a block, in slot order. */
  static final int SLOTS_PER_LAYER = 4;

  private final TorchScriptModule module;
  private final NDArray[] slotIndex; // int64 scalars: the slot numbers, as tensors for call()
  private final NDArray heads; // int64 scalar: attention heads
  private final NDArray none; // empty: "no tensor" for call()
  private int stored;
  private boolean tableStored;

  private Bf16Base(TorchScriptModule module, NDArray[] slotIndex, NDArray heads, NDArray none) {
    this.module = module;
    this.slotIndex = slotIndex;
    this.heads = heads;
    this.none = none;
  }

  /**
   * An empty module for {@code layers} blocks of {@code heads} attention heads in {@code manager}
   * (a PyTorch engine manager).
   */
  static Bf16Base load(NDManager manager, int layers, int heads) {
    TorchScriptModule module =
        TorchScriptModule.load(
            manager,
            NAME,
            List.of("w", "b", "table"),
            BODY + ScriptedAttention.method("self: __torch__." + NAME, false));
    NDArray[] idx = new NDArray[layers * SLOTS_PER_LAYER];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = manager.create((long) i);
    }
    return new Bf16Base(module, idx, manager.create((long) heads), manager.zeros(new Shape(0)));
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

  /**
   * The attention part of a block for a float32 input x (batch, seq, hidden): the fused q/k/v
   * product of block {@code layer}, the changes of q, k and v (for each: {@code dense[m]}, a
   * float32 (tokens, hidden) change rounded to bfloat16 and added, or {@code factored[m]}, whose
   * factors are rounded to bfloat16 and whose product is added in one product with float32
   * accumulation; null for none), multi-head attention in bfloat16 (float32 accumulation) under
   * {@code maskBias} (null or (batch, 1, 1, seq)), and, with {@code withOutput}, the attention
   * output product. Returns float32 (tokens, hidden): the output product plus the residual x (the
   * same bits as widening the product and adding x), or the context (exact widening of its bfloat16
   * values) for a caller that applies the output product itself ({@link #linear} of it gives the
   * same bits). Autograd records through it.
   */
  NDArray attention(
      NDArray x,
      int layer,
      NDArray[] dense,
      LowRankDelta[] factored,
      NDArray maskBias,
      boolean withOutput) {
    NDList args = new NDList(x, slotIndex[SLOTS_PER_LAYER * layer], heads);
    for (NDArray d : dense) {
      args.add(orNone(d));
    }
    for (LowRankDelta f : factored) {
      args.add(f == null ? none : f.down());
      args.add(f == null ? none : f.up());
    }
    args.add(orNone(maskBias));
    return module.call(withOutput ? "attention" : "attention_context", args).singletonOrThrow();
  }

  private NDArray orNone(NDArray t) {
    return t == null ? none : t;
  }

  /**
   * The feed-forward part of a block for a float32 input (tokens, hidden): the intermediate product
   * of slot {@code slot}, the exact (erf) GELU and the output product of slot {@code slot + 1}, as
   * float32 (tokens, hidden), plus the residual x. The intermediate activations stay in bfloat16
   * (the GELU computes in float32 and rounds to bfloat16, which is where the separate products
   * round them too), so this equals {@code linear(gelu(linear(x, slot)), slot + 1).add(x)} bit for
   * bit with two fewer casts of the widest tensor each way (the output is widened inside the sum).
   * Autograd records through it.
   */
  NDArray feedForward(NDArray x, int slot) {
    return module.call("ffn", new NDList(x, slotIndex[slot])).singletonOrThrow();
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
