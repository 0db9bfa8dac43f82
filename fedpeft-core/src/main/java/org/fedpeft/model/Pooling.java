package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Pooling of token states into one vector per sequence. */
public final class Pooling {
  private Pooling() {}

  /**
   * Mean over the tokens the mask keeps, as sentence-transformers computes it.
   *
   * @param hidden (batch, seq, hidden)
   * @param mask (batch, seq), int64 or float
   * @return (batch, hidden)
   */
  public static NDArray mean(NDArray hidden, NDArray mask) {
    NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(-1); // (batch, seq, 1)
    NDArray sum = hidden.mul(m).sum(new int[] {1});
    NDArray count = m.sum(new int[] {1}).clip(1e-9f, Float.MAX_VALUE);
    return sum.div(count);
  }

  /** Divides each row by its L2 norm (at least 1e-12), as torch.nn.functional.normalize. */
  public static NDArray l2Normalize(NDArray x) {
    return x.div(x.norm(new int[] {-1}, true).clip(1e-12f, Float.MAX_VALUE));
  }
}
