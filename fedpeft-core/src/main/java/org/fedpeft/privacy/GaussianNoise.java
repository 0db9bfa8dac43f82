package org.fedpeft.privacy;

import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Objects;
import org.fedpeft.random.SeededRandom;

/**
 * A source of standard normal draws for the Gaussian mechanism.
 *
 * <p>{@link #secure()} (the default for any private run) draws its bits from {@link SecureRandom},
 * in bulk ({@value #BUFFER_BYTES} bytes per call, since {@code SecureRandom} is slow per call).
 * {@link #seededForTestsOnly(long)} is deterministic (SplitMix64) for tests and simulations; its
 * noise is predictable, so a run using it is <em>not</em> differentially private, and {@link
 * #isCryptographicallySecure()} returns false. (A run's manifest.json says whether its noise is
 * private from its config, {@code privacy.noise}, not from these methods.)
 *
 * <p>Normals come from the Marsaglia polar method on uniforms with 53 random bits each. Known
 * limitation: like every floating-point sampler this only approximates the continuous Gaussian the
 * privacy analysis assumes (see Mironov, CCS 2012, on floating-point attacks against the Laplace
 * mechanism); no discrete or snapping mitigation is attempted here.
 *
 * <p>Instances are thread-safe (methods synchronise on the instance); give each thread its own for
 * throughput.
 */
public final class GaussianNoise {

  /** Bytes requested from {@code SecureRandom} at a time. */
  static final int BUFFER_BYTES = 8192;

  private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

  /** 64 random bits at a time. */
  private interface BitSource {
    long nextLong();
  }

  private final BitSource bits;
  private final boolean secure;
  private final String description;
  private double spare;
  private boolean hasSpare;

  private GaussianNoise(BitSource bits, boolean secure, String description) {
    this.bits = bits;
    this.secure = secure;
    this.description = description;
  }

  /**
   * A cryptographically secure source backed by a new instance of the JDK's {@code DRBG} (NIST SP
   * 800-90A, Hash_DRBG with SHA-256 unless the {@code securerandom.drbg.config} security property
   * says otherwise), seeded by the system's entropy source. Its bulk output is several times faster
   * than the default {@code NativePRNG} (which mixes every read from /dev/urandom with a SHA1PRNG):
   * DP-SGD with a classifier-as-retriever head draws millions of normals per step.
   */
  public static GaussianNoise secure() {
    try {
      return secure(SecureRandom.getInstance("DRBG"));
    } catch (NoSuchAlgorithmException e) {
      return secure(new SecureRandom());
    }
  }

  /** A cryptographically secure source backed by the given {@code SecureRandom}. */
  public static GaussianNoise secure(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    return new GaussianNoise(
        new SecureBits(random), true, "SecureRandom(" + random.getAlgorithm() + ")");
  }

  /**
   * A deterministic source for tests and simulations only: the same seed gives the same draws on
   * every JVM. Noise from it is predictable, so a run using it is NOT differentially private.
   */
  public static GaussianNoise seededForTestsOnly(long seed) {
    return new GaussianNoise(
        new SeededRandom(seed)::nextLong, false, "SplitMix64(seed=" + seed + "), NOT private");
  }

  /** True for {@link #secure()} sources, false for seeded ones (the run is then not private). */
  public boolean isCryptographicallySecure() {
    return secure;
  }

  /** A short description of the source, for example {@code SecureRandom(DRBG)}. */
  public String description() {
    return description;
  }

  /** One draw from {@code N(0, 1)}. */
  public synchronized double nextGaussian() {
    return next();
  }

  /**
   * Fills {@code out} with independent draws from {@code N(0, std^2)}.
   *
   * @throws IllegalArgumentException if {@code std} is negative, infinite or NaN
   */
  public synchronized void fill(float[] out, double std) {
    checkStd(std);
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (std * next());
    }
  }

  /** Fills {@code out} with independent draws from {@code N(0, std^2)}. */
  public synchronized void fill(double[] out, double std) {
    checkStd(std);
    for (int i = 0; i < out.length; i++) {
      out[i] = std * next();
    }
  }

  /**
   * Adds independent {@code N(0, std^2)} noise to every element of {@code values}, in place.
   *
   * @throws IllegalArgumentException if {@code std} is negative, infinite or NaN
   */
  public synchronized void addTo(float[] values, double std) {
    checkStd(std);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (values[i] + std * next());
    }
  }

  @Override
  public String toString() {
    return "GaussianNoise[" + description + "]";
  }

  /** Marsaglia's polar method; keeps the second normal of each pair. */
  private double next() {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    double u;
    double v;
    double s;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double m = Math.sqrt(-2 * Math.log(s) / s);
    spare = v * m;
    hasSpare = true;
    return u * m;
  }

  /** Uniform on {@code [0, 1)} with 53 random bits. */
  private double uniform() {
    return (bits.nextLong() >>> 11) * TWO_POW_MINUS_53;
  }

  private static void checkStd(double std) {
    if (!(std >= 0 && std < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("std must be finite and >= 0, got " + std);
    }
  }

  /** Bits from a {@code SecureRandom}, fetched {@value #BUFFER_BYTES} bytes at a time. */
  private static final class SecureBits implements BitSource {
    private final SecureRandom random;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private final ByteBuffer view = ByteBuffer.wrap(buffer);
    private int position = BUFFER_BYTES;

    SecureBits(SecureRandom random) {
      this.random = random;
    }

    @Override
    public long nextLong() {
      if (position + Long.BYTES > BUFFER_BYTES) {
        random.nextBytes(buffer);
        position = 0;
      }
      long v = view.getLong(position);
      // Consumed bytes are not kept around in memory.
      view.putLong(position, 0L);
      position += Long.BYTES;
      return v;
    }
  }
}
