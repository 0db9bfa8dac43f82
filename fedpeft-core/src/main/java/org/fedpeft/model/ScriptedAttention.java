package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * The encoder's multi-head attention, softmax(q k^T / sqrt(d) + mask) v, in TorchScript: a module
 * of its own for the operator-by-operator blocks (adapted blocks, FedBE's expansion blocks), and
 * the same method text ({@link #method}) inside {@link ScriptedBlock} and {@link Bf16Base}. Two
 * forms:
 *
 * <ul>
 *   <li><b>separate</b> operators: the queries scaled by 1/sqrt(head size) (fewer values than the
 *       scores: heads*seq/hidden times less work), the score product, the additive mask, softmax
 *       and the context product;
 *   <li><b>fused</b>: libtorch's {@code scaled_dot_product_attention} (on CPU the flash-attention
 *       kernel, with its own backward), which DJL 0.35.1's JNI does not expose. It never
 *       materialises the (batch, heads, seq, seq) scores and probabilities and scales the scores
 *       inside the kernel.
 * </ul>
 *
 * <p>Which form runs is {@link #PROPERTY}'s choice. By default ({@code auto}) the separate
 * operators run, except where autograd records the call (gradient mode on and q, k or v requiring a
 * gradient: training): there the fused operator runs, because autograd would keep the separate
 * form's (batch, heads, seq, seq) probabilities until the backward pass. So training computes
 * exactly what {@code fused} computes, bit for bit, and evaluation and embedding get faster than
 * with {@code fused}: on a Zen 5 the fp32 forward took 0.92-0.97 of the fused form's time and the
 * forward with the bf16 base 0.73-0.81 (docs/performance.md, "Attention on CPU"). The separate
 * operators also trained faster there at some lengths (0.85-0.88 at 16 x 40 tokens), but with them
 * the README main run's peak resident set was 60-190 MiB higher and its time no shorter. The
 * bfloat16 base always uses the separate form ({@link Bf16Base}). The choice is made inside
 * TorchScript because DJL's {@code hasGradient} answers false for results of operations on tensors
 * that require gradients.
 *
 * <p>{@code multi_head}, the one place the heads are split and merged, passes q, k and v on as
 * head-major strided views of the (tokens, hidden) activations (no copies). The fused form's output
 * is laid out as (batch, seq, heads, head), so merging the heads back is a view; the separate
 * form's is contiguous in (batch, heads, seq, head), so merging copies it. The two forms differ by
 * float rounding only. Autograd records through the module when gradient mode is on (the module
 * runs with DJL's training flag, which leaves gradient mode as it is).
 */
final class ScriptedAttention implements AutoCloseable {

  /**
   * System property: unset or {@code auto} for the choice above, {@code fused} for the fused
   * operator everywhere in float32, {@code eager} for the separate operators everywhere. The
   * bfloat16 base's own attention is the separate form whatever the setting ({@link #method} with
   * {@code fusedAllowed} false).
   */
  static final String PROPERTY = "fedpeft.attention";

  private static final String NAME = "FedpeftAttention";
  private static final String SELF = "self: __torch__." + NAME;

  private final TorchScriptModule module;

  private ScriptedAttention(TorchScriptModule module) {
    this.module = module;
  }

  /** {@link #PROPERTY}'s value, checked. */
  private static String setting() {
    String value = System.getProperty(PROPERTY, "auto");
    if (!value.equals("auto") && !value.equals("fused") && !value.equals("eager")) {
      throw new IllegalArgumentException(
          "-D" + PROPERTY + "=" + value + ": expected auto, fused or eager");
    }
    return value;
  }

  /**
   * TorchScript source of two methods for a module's class body: {@code scaled_attention(self, q,
   * k, v, mask: Optional[Tensor]) -> Tensor} on head-major (batch, heads, seq, head) views, in the
   * form {@link #PROPERTY} asks for, and {@code multi_head(self, q, k, v, mask, batch: int, seq:
   * int, heads: int) -> Tensor}, which takes q, k and v as (batch * seq, hidden), splits the heads
   * (views), calls {@code scaled_attention} and merges the heads back into (batch * seq, hidden).
   *
   * @param self the method's first parameter, {@code self: __torch__.ClassName}
   * @param fusedAllowed false for a method that always runs the separate operators
   */
  static String method(String self, boolean fusedAllowed) {
    String fused =
        !fusedAllowed
            ? "False"
            : switch (setting()) {
              case "fused" -> "True";
              case "eager" -> "False";
              default ->
                  "torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or"
                      + " v.requires_grad)";
            };
    return """
          def scaled_attention(%1$s, q: Tensor, k: Tensor, v: Tensor,
                               mask: Optional[Tensor]) -> Tensor:
            if %2$s:
              return torch.scaled_dot_product_attention(q, k, v, mask)
            scores = torch.matmul(q * (float(q.size(3)) ** -0.5), k.transpose(2, 3))
            if mask is not None:
              scores = scores + mask
            return torch.matmul(torch.softmax(scores, -1), v)
          def multi_head(%1$s, q: Tensor, k: Tensor, v: Tensor, mask: Optional[Tensor],
                         batch: int, seq: int, heads: int) -> Tensor:
            hidden = q.size(1)
            head = hidden // heads
            q4 = q.reshape([batch, seq, heads, head]).transpose(1, 2)
            k4 = k.reshape([batch, seq, heads, head]).transpose(1, 2)
            v4 = v.reshape([batch, seq, heads, head]).transpose(1, 2)
            ctx = self.scaled_attention(q4, k4, v4, mask)
            return ctx.transpose(1, 2).reshape([batch * seq, hidden])
        """
        .formatted(self, fused);
  }

  /**
   * Loads the module for {@code heads} attention heads, in the form {@link #PROPERTY} asks for,
   * into {@code manager}, which must be a PyTorch engine manager.
   */
  static ScriptedAttention load(NDManager manager, int heads) {
    String body =
        """
          def forward(%1$s, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
            return self.multi_head(q.flatten(0, 1), k.flatten(0, 1), v.flatten(0, 1), None,
                                   q.size(0), q.size(1), %2$d)
          def masked(%1$s, q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:
            return self.multi_head(q.flatten(0, 1), k.flatten(0, 1), v.flatten(0, 1), mask,
                                   q.size(0), q.size(1), %2$d)
        """
                .formatted(SELF, heads)
            + method(SELF, true);
    return new ScriptedAttention(TorchScriptModule.load(manager, NAME, body));
  }

  /**
   * Multi-head attention ({@link #method}'s {@code multi_head}).
   *
   * @param q (batch, seq, hidden), last dimension contiguous (strided views are fine)
   * @param k like q
   * @param v like q
   * @param maskBias null, or (batch, 1, 1, seq) added to the scaled scores (0 or float32 minimum)
   * @return the context, (batch * seq, hidden), heads merged
   */
  NDArray apply(NDArray q, NDArray k, NDArray v, NDArray maskBias) {
    return maskBias == null
        ? module.forward(new NDList(q, k, v)).singletonOrThrow()
        : module.call("masked", new NDList(q, k, v, maskBias)).singletonOrThrow();
  }

  @Override
  public void close() {
    module.close();
  }
}
