package org.fedpeft.testing;

import java.util.function.Supplier;

/** Tests that run code under a system property and put back what was there. */
public final class SystemProperties {

  private SystemProperties() {}

  /**
   * Runs {@code body} with the system property {@code name} set to {@code value} (cleared when
   * null), then puts back what was there, also when {@code body} throws.
   */
  public static <T> T with(String name, String value, Supplier<T> body) {
    String before = System.getProperty(name);
    if (value == null) {
      System.clearProperty(name);
    } else {
      System.setProperty(name, value);
    }
    try {
      return body.get();
    } finally {
      if (before == null) {
        System.clearProperty(name);
      } else {
        System.setProperty(name, before);
      }
    }
  }
}
