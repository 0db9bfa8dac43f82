package org.fedpeft.random;

/**
 * A small, fully specified pseudo-random generator (SplitMix64) for reproducible data handling.
 *
 * <p>Its output is a pure function of the seed: the algorithm is written out here rather than
 * borrowed from the JDK, and the floating-point functions it needs come from {@link StrictMath},
 * whose results are bit-identical on every platform. The same seed therefore gives the same splits,
 * samples and partitions on any machine and any JVM version. Not for cryptographic use, and not
 * thread-safe: give each thread its own instance (see {@link #derive(long, String)}).
 */
public final class SeededRandom {
  private long state;

  /** A generator whose stream is determined by {@code seed}. */
  public SeededRandom(long seed) {
    this.state = seed;
  }

  /**
   * A generator for one purpose of a run, independent of the streams of other purposes: e.g. {@code
   * derive(seed, "wordnet-noun-topic/split")}.
   */
  public static SeededRandom derive(long seed, String purpose) {
    return new SeededRandom(Seeds.mix64(Seeds.mix64(seed) ^ Seeds.key(purpose)));
  }

  /** The next 64 uniformly distributed bits. */
  public long nextLong() {
    state += Seeds.GOLDEN;
    return Seeds.mix64(state);
  }

  /**
   * Draw {@code k} counted from now (0: what {@link #nextLong()} returns next), without drawing:
   * the stream is a counter put through a mixing function, so any draw of it can be computed
   * directly.
   *
   * @throws IllegalArgumentException if {@code k} is negative
   */
  public long peek(long k) {
    if (k < 0) {
      throw new IllegalArgumentException("draw index must be >= 0, got " + k);
    }
    return Seeds.mix64(state + (k + 1) * Seeds.GOLDEN);
  }

  /**
   * Passes over the next {@code draws} draws, as that many calls of {@link #nextLong()} would.
   *
   * @throws IllegalArgumentException if {@code draws} is negative
   */
  public void skip(long draws) {
    if (draws < 0) {
      throw new IllegalArgumentException("draws to skip must be >= 0, got " + draws);
    }
    state += draws * Seeds.GOLDEN;
  }

  /** A uniform integer in {@code [0, bound)}, without modulo bias. */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    while (true) {
      int bits = (int) (nextLong() >>> 33);
      int value = bits % bound;
      if (bits - value + (bound - 1) >= 0) {
        return value;
      }
    }
  }

  /**
   * A uniform integer in {@code [0, bound)} from 63 random bits, without modulo bias (for bounds
   * above {@code Integer.MAX_VALUE}, and where 63-bit draws are pinned, as in client sampling).
   */
  public long nextLong(long bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    long bits;
    long value;
    do {
      bits = nextLong() >>> 1;
      value = bits % bound;
    } while (bits - value + (bound - 1) < 0);
    return value;
  }

  /** A uniform double in {@code [0, 1)} with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** A standard normal draw (Marsaglia's polar method; no cached second value). */
  public double nextGaussian() {
    while (true) {
      double u = 2 * nextDouble() - 1;
      double v = 2 * nextDouble() - 1;
      double s = u * u + v * v;
      if (s > 0 && s < 1) {
        return u * StrictMath.sqrt(-2 * StrictMath.log(s) / s);
      }
    }
  }

  /**
   * A Gamma(shape, 1) draw by Marsaglia and Tsang's method (2000); shapes below 1 use the boost
   * {@code Gamma(shape + 1) * U^(1/shape)}.
   */
  public double nextGamma(double shape) {
    if (!(shape > 0) || Double.isInfinite(shape)) {
      throw new IllegalArgumentException("gamma shape must be positive and finite, got " + shape);
    }
    if (shape < 1) {
      double u = boostUniform();
      return nextGamma(shape + 1) * StrictMath.pow(u, 1 / shape);
    }
    double d = shape - 1.0 / 3.0;
    double c = 1 / StrictMath.sqrt(9 * d);
    while (true) {
      double x;
      double v;
      do {
        x = nextGaussian();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      double u = nextDouble();
      if (u < 1 - 0.0331 * (x * x) * (x * x)) {
        return d * v;
      }
      if (u > 0 && StrictMath.log(u) < 0.5 * x * x + d * (1 - v + StrictMath.log(v))) {
        return d * v;
      }
    }
  }

  /**
   * A draw from the symmetric Dirichlet(alpha, ..., alpha) over {@code k} categories. For very
   * small alpha all gamma draws may underflow to zero; then one category, chosen uniformly, gets
   * all the mass (the limit of the distribution).
   */
  public double[] nextDirichlet(double alpha, int k) {
    if (k <= 0) {
      throw new IllegalArgumentException("k must be positive, got " + k);
    }
    double[] p = new double[k];
    double sum = 0;
    for (int i = 0; i < k; i++) {
      p[i] = nextGamma(alpha);
      sum += p[i];
    }
    if (sum == 0 || !Double.isFinite(sum)) {
      java.util.Arrays.fill(p, 0);
      p[nextInt(k)] = 1;
      return p;
    }
    for (int i = 0; i < k; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** The uniform draw in {@code (0, 1)} of the boost for gamma shapes below 1. */
  private double boostUniform() {
    double u = nextDouble();
    while (u == 0) {
      u = nextDouble();
    }
    return u;
  }

  /**
   * Advances this generator exactly as {@link #nextDirichlet(double, int)} would, without computing
   * the draw: for {@code alpha < 1} each category still draws its boost uniform and its {@code
   * Gamma(alpha + 1)}, but the costly {@code U^(1/alpha)} factor, which consumes no random numbers,
   * is only computed until one category's gamma draw is nonzero (while all are zero, the draw may
   * end with the extra {@code nextInt(k)} of the underflow case). Their sum cannot be infinite
   * there, as each draw is below {@code Gamma(alpha + 1)}'s bounded Marsaglia-Tsang value.
   */
  public void skipDirichlet(double alpha, int k) {
    if (!(alpha > 0 && alpha < 1) || k <= 0) {
      nextDirichlet(alpha, k);
      return;
    }
    boolean allZero = true;
    for (int i = 0; i < k; i++) {
      double u = boostUniform();
      double g = nextGamma(alpha + 1);
      if (allZero && g * StrictMath.pow(u, 1 / alpha) != 0) {
        allZero = false;
      }
    }
    if (allZero) {
      nextInt(k);
    }
  }

  /** Advances this generator exactly as {@link #shuffle(int[])} of {@code n} elements would. */
  public void skipShuffle(int n) {
    for (int i = n - 1; i > 0; i--) {
      nextInt(i + 1);
    }
  }

  /** Shuffles the array in place (Fisher-Yates). */
  public void shuffle(int[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** A random permutation of {@code 0 .. n-1}. */
  public int[] permutation(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    shuffle(a);
    return a;
  }
}
