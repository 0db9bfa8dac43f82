/**
 * Differential privacy: the Renyi-DP accountant for the Poisson-subsampled Gaussian mechanism
 * ({@link org.fedpeft.privacy.RdpAccountant}), an enforced (epsilon, delta) budget ({@link
 * org.fedpeft.privacy.PrivacyBudget}) and the Gaussian noise source ({@link
 * org.fedpeft.privacy.GaussianNoise}, {@code SecureRandom}-backed by default).
 *
 * <p>The design, and reference values the tests check, are in {@code shared/spec/privacy.md}.
 */
package org.fedpeft.privacy;
