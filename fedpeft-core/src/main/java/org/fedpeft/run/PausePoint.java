package org.fedpeft.run;

import java.util.concurrent.CountDownLatch;

/**
 * Named points where a run can be held so that a test can act on it at a known moment (kill it, for
 * example), instead of guessing with a sleep.
 *
 * <p>A point is armed by the system property {@value #PROPERTY}, e.g. {@code
 * -Dfedpeft.pause=round-3-before-checkpoint}. When the run reaches the armed point it prints {@code
 * fedpeft: paused at <point>} on standard error and waits until the process ends. Unarmed points
 * cost one property read. Points reached:
 *
 * <ul>
 *   <li>{@code run-folder-taken} ({@code fedpeft train}, {@code fedpeft simulate}, {@code fedpeft
 *       server}, a new run): the run's folder is created (or found empty, or replacing another with
 *       {@code --force}) and locked; nothing else is written into it, and the data and the model
 *       are not yet loaded.
 *   <li>{@code simulation-starting}: a new simulation has written config.json, and has not yet
 *       started its first round.
 *   <li>{@code round-<t>-before-checkpoint}: round t is aggregated (noised and charged, under DP),
 *       its checkpoint not written, nothing of it evaluated, written or printed: a resume runs the
 *       round again.
 *   <li>{@code round-<t>-local-states-written}: in round t's checkpoint, the files of the clients'
 *       LOCAL states that changed are written, the checkpoint file that names them is not (a resume
 *       starts from the checkpoint before; {@code run.RunCheckpoint.Writer}).
 *   <li>{@code round-<t>-after-metrics}: round t is checkpointed, evaluated and its metrics and
 *       timings lines written (the last round's second checkpoint too), the console not yet told
 *       (the worst moment for a crash: the folder is ahead of the checkpoint, which holds the
 *       round's line without its evaluation).
 *   <li>{@code simulation-before-report} ({@code fedpeft simulate}, {@code fedpeft server}): the
 *       run is finished and its summary.json written, but its report.html (the last file) is not,
 *       and a server has not yet told its nodes that the run is over.
 *   <li>{@code train-starting} ({@code fedpeft train}, a new run): its data and model are loaded
 *       and train.json, its first file, is written; no step is taken.
 *   <li>{@code train-step-<n>-before-checkpoint} ({@code fedpeft train}): step n is taken and its
 *       training line written, but its checkpoint and its evaluation are not.
 *   <li>{@code train-step-<n>-after-evaluation} ({@code fedpeft train}): step n is evaluated
 *       ({@code --eval-every}, the last step, a stop by the privacy budget) and its metrics and
 *       timings lines written (after its checkpoint, if it has one).
 *   <li>{@code tasks-export-before-rename} ({@code fedpeft tasks export}): every file is written
 *       into the temporary folder, which is not yet renamed to the output folder.
 *   <li>{@code client-starting} ({@code fedpeft client}, {@code fedpeft node}): the {@code --state}
 *       folder is created, the data not yet read and the model not yet loaded.
 *   <li>{@code client-fit-round-<t>} ({@code fedpeft node}): the node received round t's fit
 *       instruction and has not yet started training for it.
 * </ul>
 */
public final class PausePoint {

  /** The system property naming the point to hold at. */
  public static final String PROPERTY = "fedpeft.pause";

  /** The line printed on standard error when the run holds at {@code point}. */
  public static String message(String point) {
    return "fedpeft: paused at " + point;
  }

  private PausePoint() {}

  /** Holds here until the process ends, if {@code point} is the armed one; else returns at once. */
  public static void reach(String point) {
    if (!point.equals(System.getProperty(PROPERTY))) {
      return;
    }
    System.err.println(message(point));
    System.err.flush();
    CountDownLatch never = new CountDownLatch(1);
    while (true) {
      try {
        never.await();
      } catch (InterruptedException e) {
        // Held until the process is killed: interruption does not release a pause point.
      }
    }
  }
}
