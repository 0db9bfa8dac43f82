package org.fedpeft.testing;

import java.util.function.Supplier;

/** Tests that run code under a system property and put back what was there. */
public final class SystemProperties {

  private SystemProperties() {}

  /**
   * What {@link #set} returns: closing it puts back what was there, without a checked exception.
   */
  public interface Restore extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Sets the system property {@code name} to {@code value} (clears it when null); closing the
   * result puts back what was there (for a {@code try} block, or a test's {@code @BeforeEach} and
   * {@code @AfterEach}).
   */
  public static Restore set(String name, String value) {
    String before = System.getProperty(name);
    put(name, value);
    return () -> put(name, before);
  }

  /**
   * Runs {@code body} with the system property {@code name} set to {@code value} (cleared when
   * null), then puts back what was there, also when {@code body} throws.
   */
  public static <T> T with(String name, String value, Supplier<T> body) {
    Restore restore = set(name, value);
    try {
      return body.get();
    } finally {
      restore.close();
    }
  }

  private static void put(String name, String value) {
    if (value == null) {
      System.clearProperty(name);
    } else {
      System.setProperty(name, value);
    }
  }
}
