/**
 * Reproducible randomness: {@link org.fedpeft.random.Seeds} derives a seed for every purpose of a
 * run from the run seed and keys such as the round and the client, and {@link
 * org.fedpeft.random.SeededRandom} draws from such a seed. Both are fully specified (SplitMix64,
 * FNV-1a, {@link java.lang.StrictMath}), so the same seed gives the same draws on every machine and
 * JVM. Noise that must be private comes from {@link org.fedpeft.privacy.GaussianNoise} instead.
 */
package org.fedpeft.random;
