package org.fedpeft.engine;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Gives the free memory inside glibc's malloc arenas back to the operating system, through the
 * JVM's {@code System.trim_native_heap} diagnostic command (glibc's {@code malloc_trim}; JDK
 * 17.0.9+, 21.0.1+, 22+; elsewhere, or off glibc, it does nothing), after units of work (training
 * steps and evaluation batches, over all threads of the process).
 *
 * <p>Freed tensors leave their memory in the arenas, and without trims a run's resident set can
 * creep up (docs/performance.md, "Memory"). But a trim costs the page faults of bringing the next
 * step's activations back in, and a fault cost from about 2 to 12 microseconds on this project's
 * machines depending on the host's load (docs/benchmarks.md section 2, "Trims when the resident set
 * grows"): trimming every 16 units made the README main run 1.4x slower than this rule on a host
 * where faults were dear. By default ({@link #AUTO}) a trim therefore runs only when the resident
 * set has grown: the largest resident set at the end of the first {@value #SETTLE} units after a
 * trim (or after the start) is the reference, and a later unit that ends more than {@value
 * #GROWTH_PERCENT} % above it trims and starts a new reference. A run whose working set stays the
 * same never trims. Where the resident set cannot be read ({@code /proc/self/statm}, Linux), it
 * trims every {@value #FALLBACK_INTERVAL} units.
 *
 * <p>{@code -Dfedpeft.trim.every=N} trims every N units instead (the rule before), 0 turns the
 * trims off, {@code auto} is the default.
 *
 * <p>A deployed client node also trims whenever it has answered every request it holds
 * (grpc.ClientNode): it then waits for the server's next round with only what is live.
 */
public final class NativeHeap {

  /** {@link #interval()}'s value for the default rule: trim when the resident set has grown. */
  public static final int AUTO = -1;

  static final int SETTLE = 4;
  static final int GROWTH_PERCENT = 15;
  static final int FALLBACK_INTERVAL = 16;

  private static final String PROPERTY = "fedpeft.trim.every";
  private static final int UNREAD = Integer.MIN_VALUE;
  private static final Path STATM = Path.of("/proc/self/statm");
  private static final AtomicLong WORK = new AtomicLong();
  private static final Object TRIMMED = new Object(); // notified after each trim
  private static long trims; // guarded by TRIMMED
  private static final Growth GROWTH = new Growth();
  private static volatile int interval = UNREAD; // read from the property on first use
  private static volatile boolean unavailable;
  private static volatile boolean noStatm;

  private NativeHeap() {}

  /**
   * Units of work between two trims; 0: never; {@link #AUTO}: when the resident set has grown.
   *
   * @throws IllegalArgumentException if {@code -Dfedpeft.trim.every} is neither {@code auto} nor a
   *     whole number >= 0
   */
  public static int interval() {
    int n = interval;
    if (n == UNREAD) {
      n = interval(System.getProperty(PROPERTY));
      interval = n;
    }
    return n;
  }

  static int interval(String value) {
    if (value == null || value.isBlank() || value.trim().equals("auto")) {
      return AUTO;
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
        "-D"
            + PROPERTY
            + " must be 'auto' (trim when the resident set grew, the default) or a whole number"
            + " >= 0 (trim every N steps and evaluation batches; 0: no trims), not '"
            + value
            + "'");
  }

  /**
   * Counts one unit of work (a training step or an evaluation batch) and trims when the rule of
   * {@link #interval()} says so. Call it after the unit's tensors are closed.
   *
   * @throws IllegalArgumentException if {@code -Dfedpeft.trim.every} is invalid
   */
  public static void afterWork() {
    int n = interval();
    if (n == AUTO && !noStatm) {
      long rss = residentPages();
      if (rss >= 0) {
        if (GROWTH.shouldTrim(rss)) {
          trim();
        }
        return;
      }
      noStatm = true;
    }
    if (n == AUTO) {
      n = FALLBACK_INTERVAL;
    }
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
      synchronized (TRIMMED) {
        trims++;
        TRIMMED.notifyAll();
      }
      return true;
    } catch (Exception | LinkageError e) {
      // An older JDK without the command, or a JVM without the diagnostic bean: nothing to do.
      unavailable = true;
      return false;
    }
  }

  /** How many trims this process has run. */
  public static long trimsRun() {
    synchronized (TRIMMED) {
      return trims;
    }
  }

  /**
   * Waits until this process has run more than {@code count} trims ({@link #trimsRun()}), woken by
   * each trim; {@code timeout} only bounds the wait.
   *
   * @return whether it has, false if {@code timeout} passed first
   */
  public static boolean awaitMoreTrimsThan(long count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (TRIMMED) {
      while (trims <= count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TRIMMED.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  /** The process's resident pages ({@code /proc/self/statm}'s second field), or -1. */
  static long residentPages() {
    try {
      String[] fields = Files.readString(STATM).trim().split("\\s+");
      return fields.length > 1 ? Long.parseLong(fields[1]) : -1;
    } catch (IOException | NumberFormatException | SecurityException e) {
      return -1;
    }
  }

  /**
   * The default rule's state: the reference resident set and how many units have set it since the
   * last trim. Units of several threads report here in turn.
   */
  static final class Growth {
    private long reference;
    private int settled;

    /**
     * Records the resident set at the end of a unit; true when it is more than {@value
     * #GROWTH_PERCENT} % above the reference, which then starts afresh.
     */
    synchronized boolean shouldTrim(long resident) {
      if (settled < SETTLE) {
        reference = Math.max(reference, resident);
        settled++;
        return false;
      }
      if (resident * 100 > reference * (100 + GROWTH_PERCENT)) {
        reference = 0;
        settled = 0;
        return true;
      }
      return false;
    }
  }
}
