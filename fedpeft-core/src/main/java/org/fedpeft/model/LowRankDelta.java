package org.fedpeft.model;

import ai.djl.ndarray.NDArray;

/**
 * A change of a linear module's output given as two factors, {@code down} (tokens, r) and {@code
 * up} (r, out), whose product is the change ({@link EncoderHooks#linearLowRank}). With a bfloat16
 * frozen base the encoder adds the product to the module's bfloat16 output in one product with
 * float32 accumulation, instead of forming the (tokens, out) change in float32 and rounding it.
 *
 * @param down (tokens, r), float32, any scaling already applied
 * @param up (r, out), float32 (a transposed view is fine)
 */
public record LowRankDelta(NDArray down, NDArray up) {

  /**
   * The sum of two changes of one module as one pair of factors: the downs side by side ({@code
   * [a.down, b.down]}, (tokens, r_a + r_b)) and the ups stacked ({@code [a.up; b.up]}, (r_a + r_b,
   * out)), whose product is {@code a.product() + b.product()} up to float rounding.
   */
  public static LowRankDelta sideBySide(LowRankDelta a, LowRankDelta b) {
    int last = a.down.getShape().dimension() - 1;
    return new LowRankDelta(a.down.concat(b.down, last), a.up.concat(b.up, 0));
  }

  /** The change itself, {@code down x up}, in float32: (tokens, out). */
  public NDArray product() {
    return down.matMul(up);
  }
}
