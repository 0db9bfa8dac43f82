package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * libtorch's {@code scaled_dot_product_attention} (softmax(q k^T / sqrt(d) + mask) v in one
 * operator; on CPU the flash-attention kernel, which has its own backward) through a TorchScript
 * module written by {@link TorchScriptArchive}, because DJL 0.35.1's JNI does not expose the
 * operator.
 *
 * <p>Compared with the separate operators (score product, softmax, context product) it never
 * materialises the (batch, heads, seq, seq) scores and probabilities, reads q, k and v through
 * their strides (the head-major transposes are views, no copies), and writes the context in (batch,
 * seq, heads, head) order, so merging the heads back is a view too. Autograd records through the
 * module when gradient mode is on (the module runs with DJL's training flag, which leaves gradient
 * mode as it is; without it DJL turns gradients off for the call).
 *
 * <p>The scale is the operator's default 1/sqrt(head size), applied to the scores inside the
 * kernel; the separate-operator path scales the queries instead, so the two differ by float
 * rounding only.
 */
final class FusedAttention implements AutoCloseable {

  /** System property: {@code eager} selects the separate-operator attention (for comparisons). */
  static final String PROPERTY = "fedpeft.attention";

  private static final String SIG = "    q: Tensor,\n    k: Tensor,\n    v: Tensor";

  private final TorchScriptModule plain;
  private final TorchScriptModule masked;

  private FusedAttention(TorchScriptModule plain, TorchScriptModule masked) {
    this.plain = plain;
    this.masked = masked;
  }

  /** Whether {@link #PROPERTY} asks for the fused attention (the default). */
  static boolean enabled() {
    return !"eager".equals(System.getProperty(PROPERTY, "fused"));
  }

  /**
   * Loads the two modules (without and with an additive mask) into {@code manager}, which must be a
   * PyTorch engine manager.
   */
  static FusedAttention load(NDManager manager) {
    TorchScriptModule plain =
        TorchScriptModule.load(
            manager,
            "FedpeftAttention",
            "  def forward(self: __torch__.FedpeftAttention,\n"
                + SIG
                + ") -> Tensor:\n"
                + "    return torch.scaled_dot_product_attention(q, k, v)\n");
    try {
      TorchScriptModule masked =
          TorchScriptModule.load(
              manager,
              "FedpeftMaskedAttention",
              "  def forward(self: __torch__.FedpeftMaskedAttention,\n"
                  + SIG
                  + ",\n    mask: Tensor) -> Tensor:\n"
                  + "    return torch.scaled_dot_product_attention(q, k, v, mask)\n");
      return new FusedAttention(plain, masked);
    } catch (RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  /**
   * Attention for head-major views.
   *
   * @param q (batch, heads, seq, head), last dimension contiguous (strided views are fine)
   * @param k like q
   * @param v like q
   * @param maskBias null, or (batch, 1, 1, seq) added to the scaled scores (0 or float32 minimum)
   * @return the context, (batch, heads, seq, head), laid out as (batch, seq, heads, head)
   */
  NDArray apply(NDArray q, NDArray k, NDArray v, NDArray maskBias) {
    NDList in = maskBias == null ? new NDList(q, k, v) : new NDList(q, k, v, maskBias);
    return (maskBias == null ? plain : masked).forward(in).singletonOrThrow();
  }

  @Override
  public void close() {
    plain.close();
    masked.close();
  }
}
