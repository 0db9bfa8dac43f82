package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.StepRandom;

/**
 * Inverted dropout with masks drawn from the step's seeded generator ({@link StepRandom}), not from
 * PyTorch's process-wide generator, so that clients training at the same time stay reproducible.
 * Each element is kept with probability 1 - p and then scaled by 1 / (1 - p); a 64-bit draw decides
 * two elements (32 bits each: the drop probability is p rounded up to a multiple of 2^-32).
 *
 * <p>Element i of a call's array (row-major) is decided by draw i / 2 of the call's share of the
 * stream (the high 32 bits for even i, the low ones for odd), and each call takes the draws its
 * whole batch needs. A thread that runs only some rows of the batch ({@link StepRandom#part()}: a
 * half of a batch run side by side) decides each element of its (rows, tokens, features) arrays by
 * the draw of the same element of the whole batch's array, so the halves' masks are the rows of the
 * whole batch's masks, cut to the tokens of the half (padding the whole batch has beyond a half's
 * longest example changes none of the half's real tokens).
 */
public final class Dropout {

  private Dropout() {}

  /**
   * {@code x} with elements dropped with probability {@code p} ({@code 0 <= p < 1}).
   *
   * @throws IllegalStateException outside a training step, or in a part of a batch ({@link
   *     StepRandom#part()}) for an array that is not (rows, tokens, features) within the batch's
   */
  public static NDArray apply(NDArray x, float p) {
    if (!(p >= 0f && p < 1f)) {
      throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
    }
    if (p == 0f) {
      return x;
    }
    SeededRandom rng = StepRandom.current();
    StepRandom.Part part = StepRandom.part();
    float[] m = part == null ? mask(rng, x.size(), p) : mask(rng, part, x.getShape(), p);
    return x.mul(x.getManager().create(m, x.getShape()));
  }

  /**
   * The mask of a whole batch's array of {@code n} values, each 0 (probability p) or 1 / (1 - p).
   */
  static float[] mask(SeededRandom rng, long n, float p) {
    float[] m = new float[elements(n)];
    fill(rng, m, 0, m.length, 0, threshold(p), 1f / (1f - p));
    rng.skip(draws(n));
    return m;
  }

  /**
   * The mask of the rows {@code part} of a batch's (rows, tokens, features) array of shape {@code
   * shape}, whose rows may be padded to fewer tokens than the batch's: each element's value is that
   * of the same element in the whole batch's mask ({@link #mask(SeededRandom, long, float)} of the
   * (batch rows, batch length, features) array), and the generator passes over the draws of the
   * whole batch's mask.
   */
  static float[] mask(SeededRandom rng, StepRandom.Part part, Shape shape, float p) {
    if (shape.dimension() != 3
        || part.firstRow() + shape.get(0) > part.batchRows()
        || shape.get(1) > part.seqLen()) {
      throw new IllegalStateException(
          "dropout on an array of shape "
              + shape
              + " in rows from "
              + part.firstRow()
              + " of a batch of "
              + part.batchRows()
              + " rows of "
              + part.seqLen()
              + " tokens: only (rows, tokens, features) arrays within those");
    }
    float[] m = new float[elements(shape.size())];
    int rows = (int) shape.get(0);
    int tokens = (int) shape.get(1);
    int features = (int) shape.get(2);
    long threshold = threshold(p);
    float keep = 1f / (1f - p);
    for (int r = 0; r < rows; r++) {
      for (int t = 0; t < tokens; t++) {
        long at = ((long) (part.firstRow() + r) * part.seqLen() + t) * features;
        fill(rng, m, (r * tokens + t) * features, features, at, threshold, keep);
      }
    }
    rng.skip(draws((long) part.batchRows() * part.seqLen() * features));
    return m;
  }

  /** {@code n} as the length of a mask array, refused beyond an int's range. */
  private static int elements(long n) {
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("dropout on more than 2^31 elements");
    }
    return (int) n;
  }

  /** The drop threshold of the 32-bit halves of a draw: drop when the half is below it. */
  private static long threshold(float p) {
    return (long) Math.ceil(p * 4294967296.0);
  }

  /** The draws a mask of {@code n} elements takes: two elements each. */
  private static long draws(long n) {
    return (n + 1) / 2;
  }

  /**
   * Decides {@code m[from]} to {@code m[from + count - 1]} as the whole mask's elements {@code at}
   * to {@code at + count - 1}, from the draws of {@code rng} counted from now.
   */
  private static void fill(
      SeededRandom rng, float[] m, int from, int count, long at, long threshold, float keep) {
    int j = 0;
    if (count > 0 && (at & 1) != 0) { // an odd element: the low half of its draw
      m[from] = (rng.peek(at >>> 1) & 0xFFFFFFFFL) < threshold ? 0f : keep;
      j = 1;
    }
    for (; j + 1 < count; j += 2) {
      long bits = rng.peek((at + j) >>> 1);
      m[from + j] = (bits >>> 32) < threshold ? 0f : keep;
      m[from + j + 1] = (bits & 0xFFFFFFFFL) < threshold ? 0f : keep;
    }
    if (j < count) { // an even element without its pair: the high half
      m[from + j] = (rng.peek((at + j) >>> 1) >>> 32) < threshold ? 0f : keep;
    }
  }
}
