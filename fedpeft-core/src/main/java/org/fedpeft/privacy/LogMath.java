package org.fedpeft.privacy;

/**
 * Log-space arithmetic and a tail-accurate {@code log(erfc(x))}, written here so that the
 * accountant depends on no external math library.
 *
 * <p>{@link #logErfc(double)} uses three regimes:
 *
 * <ul>
 *   <li>{@code x < 0}: {@code erfc(x) = 2 - erfc(-x)}, and {@code 2 - erfc(-x)} lies in {@code [1,
 *       2)}, so no precision is lost;
 *   <li>{@code 0 <= x < 1.5}: {@code erfc(x) = 1 - erf(x)} with {@code erf} from the all-positive
 *       series {@code erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))} (no
 *       cancellation; relative error of {@code erfc} about {@code 1e-15} on this range);
 *   <li>{@code x >= 1.5}: {@code log erfc(x) = -x^2 + log erfcx(x)}, with the scaled function
 *       {@code erfcx(x) = exp(x^2) erfc(x)} from the Laplace continued fraction {@code erfcx(x) =
 *       (1/sqrt(pi)) / (x + (1/2) / (x + (2/2) / (x + (3/2) / (x + ...))))}, evaluated with the
 *       modified Lentz algorithm. This never forms {@code exp(-x^2)}, so it stays accurate far
 *       beyond the point where {@code erfc(x)} underflows (for example {@code x = 1e4}).
 * </ul>
 */
final class LogMath {

  private static final double LOG_2 = Math.log(2.0);
  private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
  private static final double SQRT_PI = Math.sqrt(Math.PI);

  /** Below this, {@code erfc} comes from {@code 1 - erf}; at and above, from the fraction. */
  private static final double SERIES_LIMIT = 1.5;

  private LogMath() {}

  /** {@code log(exp(a) + exp(b))}, exact for infinite arguments. */
  static double logAdd(double a, double b) {
    if (a == Double.NEGATIVE_INFINITY) {
      return b;
    }
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (a == Double.POSITIVE_INFINITY || b == Double.POSITIVE_INFINITY) {
      return Double.POSITIVE_INFINITY;
    }
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /**
   * {@code log(exp(a) - exp(b))} for {@code a >= b}; {@code -infinity} when {@code a == b}.
   *
   * @throws ArithmeticException if {@code a < b} (the difference would be negative)
   */
  static double logSub(double a, double b) {
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (a < b) {
      throw new ArithmeticException("log of a negative difference: a=" + a + " < b=" + b);
    }
    if (a == b) {
      return Double.NEGATIVE_INFINITY;
    }
    if (a == Double.POSITIVE_INFINITY) {
      return Double.POSITIVE_INFINITY;
    }
    return a + log1mExp(b - a);
  }

  /** {@code log(1 - exp(x))} for {@code x < 0}, accurate near 0 and for large negative x. */
  static double log1mExp(double x) {
    // Maechler's rule: use log(-expm1(x)) near 0, log1p(-exp(x)) further out.
    return x > -LOG_2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
  }

  /** {@code log(exp(x) - 1)} for {@code x > 0}, without overflow for large x. */
  static double logExpm1(double x) {
    return x > 1.0 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
  }

  /** {@code log(1 + exp(x))}, without overflow for large x. */
  static double log1pExp(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  /**
   * {@code log(erfc(x))}, accurate to about {@code 1e-15} (absolute, which is relative accuracy for
   * {@code erfc}) for every finite x, including deep tails where {@code erfc(x)} underflows.
   * Returns {@code log 2} at {@code -infinity}, {@code -infinity} at {@code +infinity} and NaN for
   * NaN.
   */
  static double logErfc(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x >= 0) {
      return logErfcNonNegative(x);
    }
    // erfc(x) = 2 - erfc(-x) = 2 (1 - erfc(-x) / 2), and erfc(-x) / 2 <= 1/2.
    double e = Math.exp(logErfcNonNegative(-x));
    return LOG_2 + Math.log1p(-0.5 * e);
  }

  /** {@code erfc(x)} for finite or infinite x (may underflow to 0 for {@code x > ~26.5}). */
  static double erfc(double x) {
    return Math.exp(logErfc(x));
  }

  private static double logErfcNonNegative(double x) {
    if (x == Double.POSITIVE_INFINITY) {
      return Double.NEGATIVE_INFINITY;
    }
    if (x < SERIES_LIMIT) {
      return Math.log1p(-erfSeries(x));
    }
    return -x * x + Math.log(erfcxContinuedFraction(x));
  }

  /** {@code erf(x)} for {@code 0 <= x < 1.5} from the series with positive terms only. */
  private static double erfSeries(double x) {
    if (x == 0) {
      return 0.0;
    }
    double x2 = x * x;
    double term = x;
    double sum = x;
    for (int n = 1; n < 200; n++) {
      term *= 2.0 * x2 / (2 * n + 1);
      sum += term;
      if (term <= 1e-17 * sum) {
        break;
      }
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }

  /**
   * {@code exp(x^2) erfc(x)} for {@code x >= 1.5}: Laplace's continued fraction by the modified
   * Lentz method. It takes about 90 iterations at 1.5, 57 at 2, 18 at 5 and fewer beyond.
   */
  private static double erfcxContinuedFraction(double x) {
    final double tiny = 1e-300;
    double f = x;
    double c = f;
    double d = 0.0;
    for (int n = 1; n < 10_000; n++) {
      double a = 0.5 * n;
      d = x + a * d;
      if (d == 0) {
        d = tiny;
      }
      d = 1.0 / d;
      c = x + a / c;
      if (c == 0) {
        c = tiny;
      }
      double delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1.0) <= 3e-16) {
        break;
      }
    }
    return 1.0 / (SQRT_PI * f);
  }
}
