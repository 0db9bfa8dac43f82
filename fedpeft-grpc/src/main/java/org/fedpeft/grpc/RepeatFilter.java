package org.fedpeft.grpc;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Collapses repeats of a report: the first report of a key passes, repeats of it within {@code
 * window} of the last one that passed are only counted, and the first repeat after the window
 * passes with that count ({@link #offer} returns it). A node that retries a failing connection
 * every few seconds therefore leaves one line per window, not one per attempt. Remembers at most
 * {@link #MAX_KEYS} keys (the least recently reported are forgotten). Thread-safe.
 */
final class RepeatFilter {

  /** The most keys remembered. */
  static final int MAX_KEYS = 1024;

  private final long windowNanos;
  private final LongSupplier nanoTime;
  private long seen;

  private static final class KeyState {
    long lastShown;
    long suppressed;
  }

  private final Map<String, KeyState> entries =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, KeyState> eldest) {
          return size() > MAX_KEYS;
        }
      };

  /**
   * @param window how long repeats of a shown report are only counted
   * @param nanoTime the clock ({@code System::nanoTime}; tests pass their own)
   */
  RepeatFilter(Duration window, LongSupplier nanoTime) {
    this.windowNanos = window.toNanos();
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * Offers one report of {@code key}.
   *
   * @return -1 if it is to be suppressed, else how many repeats were suppressed since the last
   *     report of the key that was shown (0 for a first report)
   */
  synchronized long offer(String key) {
    seen++;
    notifyAll();
    long now = nanoTime.getAsLong();
    KeyState e = entries.get(key);
    if (e == null) {
      e = new KeyState();
      e.lastShown = now;
      entries.put(key, e);
      return 0;
    }
    if (now - e.lastShown < windowNanos) {
      e.suppressed++;
      return -1;
    }
    long suppressed = e.suppressed;
    e.suppressed = 0;
    e.lastShown = now;
    return suppressed;
  }

  /** How many reports were offered so far, shown or not. */
  synchronized long seen() {
    return seen;
  }

  /**
   * Waits until {@code n} reports were offered; the timeout only bounds a broken caller.
   *
   * @return whether they were
   */
  synchronized boolean awaitSeen(long n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (seen < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }
}
