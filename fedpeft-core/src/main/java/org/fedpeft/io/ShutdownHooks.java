package org.fedpeft.io;

/**
 * Shutdown hooks that clean up after work the process's end may cut short (a folder being staged,
 * files being written), added and removed where the process may already be shutting down: then the
 * JVM refuses both, and these say so instead of throwing.
 */
public final class ShutdownHooks {

  private ShutdownHooks() {}

  /**
   * Adds {@code hook}; false, and nothing added, if the process is already shutting down (work
   * started from another shutdown hook).
   */
  public static boolean add(Thread hook) {
    try {
      Runtime.getRuntime().addShutdownHook(hook);
      return true;
    } catch (IllegalStateException shuttingDown) {
      return false;
    }
  }

  /**
   * Removes {@code hook} once its work is done; false if the process is shutting down, when the
   * hook runs (or ran) anyway.
   */
  public static boolean remove(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
      return true;
    } catch (IllegalStateException shuttingDown) {
      return false;
    }
  }
}
