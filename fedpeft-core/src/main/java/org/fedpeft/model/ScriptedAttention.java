package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * The encoder's multi-head attention, softmax(q k^T / sqrt(d) + mask) v, as a TorchScript module
 * written by {@link TorchScriptArchive}, in one of two forms:
 *
 * <ul>
 *   <li><b>fused</b>: libtorch's {@code scaled_dot_product_attention} (on CPU the flash-attention
 *       kernel, with its own backward), which DJL 0.35.1's JNI does not expose. It never
 *       materialises the (batch, heads, seq, seq) scores and probabilities and scales the scores
 *       inside the kernel;
 *   <li><b>separate</b> operators: the queries scaled by 1/sqrt(head size) (fewer values than the
 *       scores: heads*seq/hidden times less work), the score product, the additive mask, softmax
 *       and the context product.
 * </ul>
 *
 * <p>Which form runs is {@link #PROPERTY}'s choice: by default the fused operator. {@code
 * train-separate} picks per call: the separate operators where autograd records the call (gradient
 * mode on and q, k or v requiring a gradient: training) and the scores are few enough ({@link
 * #MAX_SEPARATE_SCORES}), the fused operator elsewhere (evaluation, embedding, long training
 * batches), as the bfloat16 base does ({@link Bf16Base}) for its own reasons. The decision is made
 * inside the module because DJL's {@code hasGradient} answers false for results of operations on
 * tensors that require gradients. It is not the default because its gain depends on the sequence
 * length and the CPU: on a Zen 5 the training step took 0.85 of the fused one's time at 16 x 40
 * tokens but 0.97 at 16 x 64 and 1.00 at 16 x 24, and the README main run was no faster within a
 * busy host's noise, with a higher peak resident set (docs/performance.md, "Attention in
 * training").
 *
 * <p>q, k and v come in as head-major strided views of the (tokens, hidden) activations (no
 * copies). The fused form's output is laid out as (batch, seq, heads, head), so merging the heads
 * back is a view; the separate form's is contiguous in (batch, heads, seq, head). The two forms
 * differ by float rounding only. Autograd records through the module when gradient mode is on (the
 * module runs with DJL's training flag, which leaves gradient mode as it is).
 */
final class ScriptedAttention implements AutoCloseable {

  /**
   * System property: unset or {@code fused} (the default) for the fused operator everywhere, {@code
   * eager} for the separate operators everywhere (the encoder's base-model blocks then also run
   * operator by operator, since {@link ScriptedBlock} has the fused operator), {@code
   * train-separate} for the per-call choice above.
   */
  static final String PROPERTY = "fedpeft.attention";

  /**
   * Under {@code train-separate}, the most attention scores (batch x heads x seq x seq) for which
   * the separate operators run when autograd records the call: 2^20, 4 MiB of float32 probabilities
   * per block that autograd keeps until the backward pass (16 sequences of up to 73 tokens with 12
   * heads). Above it the fused operator runs, whose memory does not grow with seq^2: with the
   * separate operators at every length the README main run's peak resident set rose from 1289-1310
   * to 1469-1498 MiB.
   */
  static final long MAX_SEPARATE_SCORES = 1L << 20;

  private static final String NAME = "FedpeftAttention";
  private static final String SELF = "self: __torch__." + NAME;
  private static final String QKV = "q: Tensor, k: Tensor, v: Tensor";

  private final TorchScriptModule module;

  private ScriptedAttention(TorchScriptModule module) {
    this.module = module;
  }

  /** Whether {@link #PROPERTY} asks for the separate operators everywhere. */
  static boolean eagerEverywhere() {
    return "eager".equals(setting());
  }

  private static String setting() {
    String value = System.getProperty(PROPERTY, "fused");
    if (!value.equals("fused") && !value.equals("eager") && !value.equals("train-separate")) {
      throw new IllegalArgumentException(
          "-D" + PROPERTY + "=" + value + ": expected fused, eager or train-separate");
    }
    return value;
  }

  /**
   * Loads the module, in the form {@link #PROPERTY} asks for, into {@code manager}, which must be a
   * PyTorch engine manager.
   */
  static ScriptedAttention load(NDManager manager) {
    String separate =
        switch (setting()) {
          case "fused" -> "False";
          case "eager" -> "True";
          default -> // train-separate
              "torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or"
                  + " v.requires_grad) and q.size(0) * q.size(1) * q.size(2) * k.size(2) <= "
                  + MAX_SEPARATE_SCORES;
        };
    String body =
        """
          def forward(%1$s, %2$s) -> Tensor:
            return self.attend(q, k, v, None)
          def masked(%1$s, %2$s, mask: Tensor) -> Tensor:
            return self.attend(q, k, v, mask)
          def attend(%1$s, %2$s, mask: Optional[Tensor]) -> Tensor:
            if %3$s:
              scores = torch.matmul(q * (float(q.size(3)) ** -0.5), k.transpose(2, 3))
              if mask is not None:
                scores = scores + mask
              return torch.matmul(torch.softmax(scores, -1), v)
            return torch.scaled_dot_product_attention(q, k, v, mask)
        """
            .formatted(SELF, QKV, separate);
    return new ScriptedAttention(TorchScriptModule.load(manager, NAME, body));
  }

  /**
   * Attention for head-major views.
   *
   * @param q (batch, heads, seq, head), last dimension contiguous (strided views are fine)
   * @param k like q
   * @param v like q
   * @param maskBias null, or (batch, 1, 1, seq) added to the scaled scores (0 or float32 minimum)
   * @return the context, (batch, heads, seq, head)
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
