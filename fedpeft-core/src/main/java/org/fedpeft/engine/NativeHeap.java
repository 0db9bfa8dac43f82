package org.fedpeft.engine;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Gives the free memory inside glibc's malloc arenas back to the operating system every {@link
 * #interval()} units of work (training steps and evaluation batches, counted over all threads of
 * the process), through the JVM's {@code System.trim_native_heap} diagnostic command (glibc's
 * {@code malloc_trim}; JDK 17.0.9+, 21.0.1+, 22+; elsewhere, or off glibc, it does nothing).
 *
 * <p>Freed tensors leave their memory in the arenas; without trims a run's resident set creeps up
 * (docs/performance.md, "Memory"). A trim costs the page faults of bringing the next step's
 * activations back, about one step's time in a VM where a fault takes several microseconds, so
 * trimming by work keeps that cost a fixed share of the run whatever a step costs, where a timer
 * trimmed every other step of a long batch. {@code -Dfedpeft.trim.every=N} sets the interval; 0
 * turns the trims off.
 */
public final class NativeHeap {

  private static final String PROPERTY = "fedpeft.trim.every";
  private static final int DEFAULT_INTERVAL = 16;
  private static final AtomicLong WORK = new AtomicLong();
  private static volatile int interval = -1; // read from the property on first use
  private static volatile boolean unavailable;

  private NativeHeap() {}

  /**
   * Units of work between two trims; 0: never.
   *
   * @throws IllegalArgumentException if {@code -Dfedpeft.trim.every} is not a whole number >= 0
   */
  public static int interval() {
    int n = interval;
    if (n < 0) {
      n = interval(System.getProperty(PROPERTY));
      interval = n;
    }
    return n;
  }

  static int interval(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_INTERVAL;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "-D" + PROPERTY + " must be a whole number >= 0 (0: no trims), not '" + value + "'");
  }

  /**
   * Counts one unit of work (a training step or an evaluation batch) and trims when the count
   * reaches a multiple of the interval. Call it after the unit's tensors are closed.
   *
   * @throws IllegalArgumentException if {@code -Dfedpeft.trim.every} is not a whole number >= 0
   */
  public static void afterWork() {
    int n = interval();
    if (n > 0 && WORK.incrementAndGet() % n == 0) {
      trim();
    }
  }

  /** Trims now; returns whether the JVM ran the command. */
  public static boolean trim() {
    if (unavailable) {
      return false;
    }
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      server.invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"),
          "systemTrimNativeHeap",
          new Object[] {null},
          new String[] {String[].class.getName()});
      return true;
    } catch (Exception | LinkageError e) {
      // An older JDK without the command, or a JVM without the diagnostic bean: nothing to do.
      unavailable = true;
      return false;
    }
  }
}
