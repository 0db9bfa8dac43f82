package org.fedpeft.random;

/**
 * The seeded generator of the training step running on the calling thread: dropout masks draw from
 * it. A trainer sets it at the start of each step from (its seed, the step), so the masks are a
 * function of the seed alone, whichever thread runs the step and whatever other clients train at
 * the same time (PyTorch's own generator is one per process, so concurrent clients would interleave
 * its draws).
 *
 * <p>A thread that runs only some rows of the step's batch ({@link #beginPart}: a half of a batch
 * run side by side) says which, so that its masks are the rows of the masks the whole batch gets
 * (org.fedpeft.peft.Dropout): the step's results then do not depend on whether its batch ran whole
 * or in parts, up to float rounding.
 */
public final class StepRandom {

  private static final ThreadLocal<Step> CURRENT = new ThreadLocal<>();

  /** A step's generator, and the rows of the batch this thread runs (null: all of them). */
  private record Step(SeededRandom random, Part part) {}

  /**
   * Rows {@code firstRow} to {@code firstRow + n - 1} (n: the rows of the arrays this thread runs)
   * of a batch of {@code batchRows} rows padded to {@code seqLen} tokens; this thread's rows may be
   * padded to fewer.
   *
   * @param firstRow the batch's row at which this thread's rows start
   * @param batchRows the rows of the whole batch
   * @param seqLen the length to which the whole batch is padded
   */
  public record Part(int firstRow, int batchRows, int seqLen) {
    /** Checks {@code 0 <= firstRow < batchRows} and {@code seqLen >= 1}. */
    public Part {
      if (firstRow < 0 || firstRow >= batchRows || seqLen < 1) {
        throw new IllegalArgumentException(
            "not a part of a batch: first row "
                + firstRow
                + " of "
                + batchRows
                + ", padded to "
                + seqLen
                + " tokens");
      }
    }
  }

  private StepRandom() {}

  /** Starts a step on this thread with a generator seeded by {@code seed}, on its whole batch. */
  public static void begin(long seed) {
    CURRENT.set(new Step(new SeededRandom(seed), null));
  }

  /**
   * Starts a step on this thread with a generator seeded by {@code seed}, as {@link #begin} does,
   * on the rows {@code part} of its batch.
   */
  public static void beginPart(long seed, Part part) {
    CURRENT.set(new Step(new SeededRandom(seed), part));
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
    return step().random();
  }

  /**
   * The rows of the batch the step on this thread runs, or null for all of them.
   *
   * @throws IllegalStateException if no step is running here
   */
  public static Part part() {
    return step().part();
  }

  private static Step step() {
    Step s = CURRENT.get();
    if (s == null) {
      throw new IllegalStateException(
          "dropout outside a training step: call StepRandom.begin(seed) first (the trainers do)");
    }
    return s;
  }
}
