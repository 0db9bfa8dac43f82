package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.StepRandom;

/**
 * Inverted dropout with masks drawn from the step's seeded generator ({@link StepRandom}), not from
 * PyTorch's process-wide generator, so that clients training at the same time stay reproducible.
 * Each element is kept with probability 1 - p and then scaled by 1 / (1 - p); a 64-bit draw decides
 * two elements (32 bits each: the drop probability is p rounded up to a multiple of 2^-32).
 */
public final class Dropout {

  private Dropout() {}

  /** {@code x} with elements dropped with probability {@code p} ({@code 0 <= p < 1}). */
  public static NDArray apply(NDArray x, float p) {
    if (!(p >= 0f && p < 1f)) {
      throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
    }
    if (p == 0f) {
      return x;
    }
    return x.mul(x.getManager().create(mask(StepRandom.current(), x.size(), p), x.getShape()));
  }

  /** The mask: {@code n} values, each 0 (probability p) or 1 / (1 - p). */
  static float[] mask(SeededRandom rng, long n, float p) {
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("dropout on more than 2^31 elements");
    }
    float keep = 1f / (1f - p);
    long threshold = (long) Math.ceil(p * 4294967296.0); // drop when the 32-bit draw is below
    float[] m = new float[(int) n];
    int i = 0;
    for (; i + 1 < m.length; i += 2) {
      long bits = rng.nextLong();
      m[i] = (bits >>> 32) < threshold ? 0f : keep;
      m[i + 1] = (bits & 0xFFFFFFFFL) < threshold ? 0f : keep;
    }
    if (i < m.length) {
      m[i] = (rng.nextLong() >>> 32) < threshold ? 0f : keep;
    }
    return m;
  }
}
