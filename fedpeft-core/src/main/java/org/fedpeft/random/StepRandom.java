package org.fedpeft.random;

/**
 * The seeded generator of the training step running on the calling thread: dropout masks draw from
 * it. A trainer sets it at the start of each step from (its seed, the step), so the masks are a
 * function of the seed alone, whichever thread runs the step and whatever other clients train at
 * the same time (PyTorch's own generator is one per process, so concurrent clients would interleave
 * its draws).
 */
public final class StepRandom {

  private static final ThreadLocal<SeededRandom> CURRENT = new ThreadLocal<>();

  private StepRandom() {}

  /** Starts a step on this thread with a generator seeded by {@code seed}. */
  public static void begin(long seed) {
    CURRENT.set(new SeededRandom(seed));
  }

  /** Ends the step on this thread. */
  public static void end() {
    CURRENT.remove();
  }

  /**
   * The generator of the step running on this thread.
   *
   * @throws IllegalStateException if no step is running here (training-mode forward passes with
   *     dropout must run inside a trainer's step)
   */
  public static SeededRandom current() {
    SeededRandom r = CURRENT.get();
    if (r == null) {
      throw new IllegalStateException(
          "dropout outside a training step: call StepRandom.begin(seed) first (the trainers do)");
    }
    return r;
  }
}
