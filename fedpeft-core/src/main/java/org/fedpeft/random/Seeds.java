package org.fedpeft.random;

import java.nio.charset.StandardCharsets;

/**
 * Derives independent seeds from one run seed, keyed by purpose and numbers such as the round and a
 * client, so that every random draw of a run is a function of (run seed, purpose, keys) and of
 * nothing that happened before (a resumed run draws the same values).
 *
 * <p>Everything is specified here, not borrowed from a JDK class whose algorithm could change:
 * SplitMix64's finaliser (Steele, Lea and Flood 2014, "Fast splittable pseudorandom number
 * generators") as mixer, FNV-1a (64-bit) to turn strings into keys. The generator that draws from a
 * derived seed is {@link SeededRandom}.
 */
public final class Seeds {

  /** SplitMix64's increment (the golden ratio as a 64-bit odd integer). */
  static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private Seeds() {}

  /** The SplitMix64 finaliser: a bijective mix of 64 bits. */
  public static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A 64-bit key of a string: FNV-1a over its UTF-8 bytes. */
  public static long key(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /**
   * A seed for one purpose and a tuple of keys, e.g. {@code derive(seed, "client-sampling",
   * round)}.
   */
  public static long derive(long seed, String purpose, long... keys) {
    long h = mix64(seed + GOLDEN);
    h = mix64(h ^ mix64(key(purpose) + GOLDEN));
    for (long k : keys) {
      h = mix64(h ^ mix64(k + GOLDEN));
    }
    return h;
  }
}
