package org.fedpeft.grpc;

import java.io.IOException;
import java.net.BindException;

/**
 * Binding an address that another process may hold a moment longer: a resumed server binds the port
 * of the server it replaces, which can still be in use just after that process ended. An attempt
 * that fails because the address is in use ({@link #inUse}) is made again after a short pause,
 * {@value #FIRST_PAUSE_MILLIS} ms doubling after each failed attempt up to {@value
 * #MAX_PAUSE_MILLIS} ms, so that the retries leave the processor to the processes that free the
 * port; {@link #ATTEMPTS} attempts in all take at most {@link #maxTotalPauseMillis} ms of pauses.
 * Any other failure, and that of the last attempt, is thrown as it is.
 */
public final class BindRetry {

  /** How many attempts a resumed server makes in all, the first included. */
  public static final int ATTEMPTS = 20;

  /** The pause after the first failed attempt, in milliseconds. */
  static final long FIRST_PAUSE_MILLIS = 10;

  /** The longest pause between two attempts, in milliseconds. */
  static final long MAX_PAUSE_MILLIS = 250;

  private BindRetry() {}

  /** One attempt to bind. */
  @FunctionalInterface
  public interface Attempt<T> {
    /**
     * Binds, and returns what is bound.
     *
     * @throws IOException if the address cannot be bound
     */
    T bind() throws IOException;
  }

  /** How the caller waits between two attempts (a sleep in {@link #bind(int, Attempt)}). */
  @FunctionalInterface
  interface Pause {
    void pause(long millis) throws InterruptedException;
  }

  /**
   * Runs {@code attempt} until it binds, at most {@code attempts} times, pausing between two
   * attempts as the class says while the address is in use.
   *
   * @param attempts the most attempts, at least 1 (1: no retry)
   * @throws IOException the failure of an attempt that is not for an address in use, or of the last
   *     attempt; also the last failure when the thread is interrupted during a pause (its interrupt
   *     status set again)
   */
  public static <T> T bind(int attempts, Attempt<T> attempt) throws IOException {
    return bind(attempts, attempt, Thread::sleep);
  }

  /** As {@link #bind(int, Attempt)}, waiting with {@code pause}. */
  static <T> T bind(int attempts, Attempt<T> attempt, Pause pause) throws IOException {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, not " + attempts);
    }
    for (int failed = 0; ; ) {
      try {
        return attempt.bind();
      } catch (IOException e) {
        failed++;
        if (failed == attempts || !inUse(e)) {
          throw e;
        }
        try {
          pause.pause(pauseMillis(failed));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** The pause after the {@code failed}-th failed attempt (1 for the first), in milliseconds. */
  static long pauseMillis(int failed) {
    long pause = FIRST_PAUSE_MILLIS;
    for (int i = 1; i < failed && pause < MAX_PAUSE_MILLIS; i++) {
      pause *= 2;
    }
    return Math.min(pause, MAX_PAUSE_MILLIS);
  }

  /** The sum of the pauses between {@code attempts} attempts that all fail, in milliseconds. */
  static long maxTotalPauseMillis(int attempts) {
    long total = 0;
    for (int failed = 1; failed < attempts; failed++) {
      total += pauseMillis(failed);
    }
    return total;
  }

  /**
   * Whether {@code e} says that the address is in use: a {@link BindException} in its causes (the
   * JDK's sockets), or "Address already in use" in its message or a cause's (gRPC's "Failed to bind
   * to address ..." with Netty's native transport, whose exception is a plain {@link IOException}).
   * The causes are read {@link CauseChain#of ten deep} at most, so a chain that loops back on
   * itself is answered too (false, unless one of its exceptions says so).
   */
  public static boolean inUse(Throwable e) {
    for (Throwable t : CauseChain.of(e, 10)) {
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }
}
