package org.fedpeft.config;

import java.util.Locale;

/**
 * Typed reads of values that arrive as strings: adapter options ({@code rank=8}), task parameters,
 * and the per-round config a server sends to its clients. One set of rules and one error wording
 * for all of them: surrounding blanks are ignored, numbers must be finite, booleans are {@code
 * true} or {@code false} in any case, and an error names what was being read and the value.
 */
public final class StringValues {

  private StringValues() {}

  /**
   * An int.
   *
   * @param what what is read, for the error, e.g. {@code "adapter option 'rank'"}
   * @throws IllegalArgumentException naming {@code what} and the value if it is not an integer
   */
  public static int toInt(String value, String what) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw bad(what, value, "an integer", e);
    }
  }

  /** A long; errors as {@link #toInt}. */
  public static long toLong(String value, String what) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw bad(what, value, "an integer", e);
    }
  }

  /** A finite double; errors as {@link #toInt}. */
  public static double toDouble(String value, String what) {
    double d;
    try {
      d = Double.parseDouble(value.strip());
    } catch (NumberFormatException e) {
      throw bad(what, value, "a number", e);
    }
    if (!Double.isFinite(d)) {
      throw bad(what, value, "a finite number", null);
    }
    return d;
  }

  /** {@code true} or {@code false} (any case); errors as {@link #toInt}. */
  public static boolean toBoolean(String value, String what) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw bad(what, value, "true or false", null);
    };
  }

  private static IllegalArgumentException bad(
      String what, String value, String expected, Exception cause) {
    return new IllegalArgumentException(
        what + " must be " + expected + ", got '" + value + "'", cause);
  }
}
