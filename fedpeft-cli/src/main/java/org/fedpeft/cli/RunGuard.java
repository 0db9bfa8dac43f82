package org.fedpeft.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.CommandName;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.RunFolder;
import org.fedpeft.io.RunFolderException;
import org.fedpeft.io.ShutdownHooks;
import org.fedpeft.run.PausePoint;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;

/**
 * A command's hold on its output folder for as long as it runs: the folder's lock ({@link
 * RunFolder}) and a shutdown hook that, when the process is interrupted (Ctrl-C, SIGTERM) before
 * the command ends, prints what is saved and how to resume. A new run calls {@link #onInterrupt}
 * just before it writes its first file into the folder, saying how to continue it from then on, and
 * {@link #started} once its input is loaded and checked and the work itself begins. Closing the
 * guard (at the end of the command, also after a failure) removes the hook and releases the lock; a
 * new run that never started (its input was refused, say) is abandoned: what it wrote is removed
 * and the folder is left as it was, including a run it was to replace with {@code --force} ({@link
 * RunFolder#abandon}). A new run interrupted before it writes anything into its folder (while its
 * model and data load), or while it waits before it starts, writing nothing ({@link
 * #abandonOnInterrupt}: the server's wait for its nodes), is abandoned the same way, so that the
 * same command starts it again; one interrupted once it has written into its folder keeps it, and
 * the message it gave {@link #onInterrupt} says how to continue (a resume). A new run killed
 * (SIGKILL) before its start wrote its first file leaves the lock file, and perhaps that file's
 * temporary: both count as a start that wrote nothing, which {@code --resume} refuses ({@link
 * #requireStartWritten}) and the same command starts again ({@link #clearKilledStart}).
 */
final class RunGuard implements AutoCloseable {

  private final RunFolder folder;
  private final String command;
  private final PrintWriter err;
  private volatile Supplier<String> onInterrupt = () -> null;
  private volatile boolean started;

  /**
   * Whether an interruption abandons the folder while the run has not started (guarded by this).
   */
  private boolean abandonable;

  /**
   * Set by the shutdown hook once it abandons the folder: the run never starts (guarded by this).
   */
  private boolean abandoned;

  private final Thread hook;

  private RunGuard(RunFolder folder, String command, boolean abandonable, PrintWriter err) {
    this.folder = folder;
    this.command = command;
    this.abandonable = abandonable;
    this.err = err;
    this.hook = new Thread(this::interrupted, "fedpeft-interrupt");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * The folder of a new run of {@code command}: {@code out}, or a new {@code
   * runs/<command>-<time>-p<pid>} when it is null; {@code force} replaces a folder that holds a
   * run.
   *
   * @throws UserInputException if {@code out} is an empty path, or {@code force} is set without
   *     {@code out} (a default folder is always new: nothing to replace)
   */
  static RunGuard newRun(Path out, String command, boolean force, PrintWriter err)
      throws IOException {
    if (out != null) {
      requireNamed("--out", out);
    }
    if (force && out == null) {
      throw new UserInputException(
          "--force replaces the --out folder, and without --out the run writes to a new folder"
              + " (runs/"
              + command
              + "-<date-time>-p<pid>), so it does nothing; give --out DIR, or leave out --force");
    }
    if (out != null) {
      clearKilledStart(out);
    }
    RunFolder f =
        out == null
            ? RunFolder.createDefault(Path.of("runs"), command)
            : RunFolder.createNew(out, command, force);
    // Until it writes into the folder (onInterrupt), an interruption leaves the folder as found.
    RunGuard g = new RunGuard(f, command, true, err);
    g.noteLeftoverReplacedRuns();
    PausePoint.reach("run-folder-taken");
    return g;
  }

  /**
   * Prints where each run that a killed {@code --force} run of this folder replaced was left
   * ({@link RunFolder#leftoverReplacedRuns}), and what the user can do; nothing of it is deleted.
   * Also names each fresh folder {@code .NAME.new-*} that such a run was killed before renaming
   * into place ({@link RunFolder#clearLeftoverStaging}): removed when it held nothing but its empty
   * lock file, else kept, saying so.
   */
  private void noteLeftoverReplacedRuns() {
    List<Path> left;
    Map<Path, Boolean> staging;
    try {
      left = folder.leftoverReplacedRuns();
      staging = folder.clearLeftoverStaging();
    } catch (IOException e) {
      return; // the parent folder cannot be listed: nothing to say, and the run is not affected
    }
    staging.forEach(
        (p, removed) ->
            err.println(
                "note: "
                    + p
                    + " is the folder that an earlier --force run of "
                    + folder.path()
                    + " created to replace it and was killed before it could use; "
                    + (removed
                        ? "it held nothing, so it was removed"
                        : "it holds files, so it was kept: delete it if you do not need it")));
    for (Path p : left) {
      err.println(
          "note: "
              + p
              + " holds the run that an earlier --force run of "
              + folder.path()
              + " replaced; that run was killed before it could delete it, so it was kept:"
              + " delete it if you do not need it, or move it back to "
              + folder.path()
              + " to recover it");
    }
    err.flush();
  }

  /**
   * Refuses an empty folder option ({@code --out}, {@code --state}), which names the current
   * folder.
   *
   * @param option the option's name, for the message
   * @throws UserInputException if {@code folder} is an empty path
   */
  static void requireNamed(String option, Path folder) {
    if (folder.toString().isEmpty()) {
      throw new UserInputException(
          option
              + " is empty: give a folder name (an empty one would write into the current folder)");
    }
  }

  /** The existing folder of a run of {@code command}, to resume it. */
  static RunGuard resume(Path dir, String command, PrintWriter err) throws IOException {
    RunGuard g = new RunGuard(RunFolder.reopen(dir, command), command, false, err);
    g.started = true; // its earlier output is kept whatever happens
    g.noteLeftoverReplacedRuns();
    return g;
  }

  /**
   * Marks the run as started: its input is accepted, and from now on the folder keeps what the run
   * writes, also if it fails (a checkpoint to resume from, say). If the shutdown hook has already
   * abandoned the folder ({@link #abandonOnInterrupt}), nothing may be written into it any more:
   * this never returns, the process halting once its shutdown hooks end.
   */
  void started() {
    unlessAbandoned(() -> started = true);
  }

  /**
   * Makes {@code change} (under this guard's lock) unless the shutdown hook has already abandoned
   * the folder; if it has, never returns, the process halting once its shutdown hooks end.
   */
  private void unlessAbandoned(Runnable change) {
    synchronized (this) {
      if (!abandoned) {
        change.run();
        return;
      }
    }
    awaitHalt();
  }

  /**
   * Refuses to resume a folder that holds nothing but its lock file, and perhaps the temporaries of
   * the first file of its start ({@link #startTemporaries}): a new run killed (SIGKILL) while it
   * was starting, before that file was in place. Nothing of the run is there to resume; the command
   * that started it starts it again, taking the folder as empty ({@link #clearKilledStart}).
   *
   * @throws UserInputException saying so, if the folder holds nothing else
   */
  void requireStartWritten() throws IOException {
    String firstFile = FIRST_FILES.get(command);
    if (startTemporaries(path(), firstFile) == null) {
      return;
    }
    throw new UserInputException(
        path()
            + " holds no "
            + firstFile
            + ", nor anything else of a run but its lock file: the run was stopped while it was"
            + " starting, before it wrote anything, so there is nothing to resume; the command"
            + " that started it ("
            + Launcher.command(command + " ... --out " + Launcher.arg(path()))
            + ") starts it again");
  }

  /**
   * The first file a new run of each command writes into its folder, just after {@link
   * #onInterrupt}: until it is in place, the folder holds nothing of the run.
   */
  private static final Map<String, String> FIRST_FILES =
      Map.of("train", TrainCommand.RUN_FILE, "simulate", "config.json", "server", "config.json");

  /**
   * The temporary files of {@code firstFile} ({@link AtomicFiles}'s {@code .NAME.<hex>.tmp}, not
   * yet renamed into place) in {@code dir}, when the folder holds nothing else but its lock file
   * (an empty list when it holds nothing else at all); null when it holds anything else, or {@code
   * firstFile} is null (a command that starts no run folder).
   */
  private static List<Path> startTemporaries(Path dir, String firstFile) throws IOException {
    if (firstFile == null) {
      return null;
    }
    Path first = Path.of(firstFile);
    List<Path> temporaries = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (name.equals(RunFolder.LOCK_FILE)) {
          continue;
        }
        boolean temporary =
            AtomicFiles.isTemporaryOf(first, name)
                && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS);
        if (!temporary) {
          return null;
        }
        temporaries.add(f);
      }
    }
    return temporaries;
  }

  /**
   * Makes a folder {@code out} that holds a lock file and the temporaries of the first file of the
   * run it records ({@link #startTemporaries}; a new run killed in the instant between {@link
   * #onInterrupt} and that file's rename) as a folder holding only its lock file, which {@link
   * RunFolder#createNew} takes as empty: removes those temporaries, under the folder's lock. Does
   * nothing to any other folder, nor to one a live run holds (its start is writing that file).
   */
  private static void clearKilledStart(Path out) throws IOException {
    if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    String owner = RunFolder.ownerOf(out);
    String firstFile = owner == null ? null : FIRST_FILES.get(owner);
    List<Path> temporaries = startTemporaries(out, firstFile);
    if (temporaries == null || temporaries.isEmpty()) {
      return;
    }
    RunFolder held;
    try {
      held = RunFolder.reopen(out, owner);
    } catch (RunFolderException e) {
      return; // held by a live run, or changed meanwhile: createNew says what it finds
    }
    try (held) {
      temporaries = startTemporaries(out, firstFile); // again, now that nothing else writes there
      if (temporaries != null) {
        for (Path t : temporaries) {
          Files.delete(t);
        }
      }
    }
  }

  /** Waits for the process to halt: the shutdown hooks are running. */
  private static void awaitHalt() {
    java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
    while (true) {
      try {
        never.await();
      } catch (InterruptedException e) {
        // The process is halting; nothing else is to be done.
      }
    }
  }

  /** The run folder. */
  Path path() {
    return folder.path();
  }

  /**
   * Whether the run finished: its summary.json is written (train's last file; simulate and server
   * write report.html after it, which their resume writes if it is missing: {@link
   * SimulateCommand#writeMissingReport}).
   */
  boolean finished() {
    return Files.exists(path().resolve("summary.json"));
  }

  /**
   * The refusal to resume a finished run: "DIR holds a finished RUN (summary.json)", with why it
   * ended before its last step or round if it did (summary.json's {@code stopped_early}: its
   * privacy budget was spent, which a resume cannot change).
   */
  String finishedRun(String run) {
    String why = "";
    try {
      JsonObject summary = JsonFiles.readObject(path().resolve("summary.json"));
      if (summary.has("stopped_early")) {
        why = ", stopped early: " + summary.get("stopped_early").getAsString();
      }
    } catch (IOException | RuntimeException e) {
      // An unreadable summary.json still marks the run finished; there is just no reason to give.
    }
    return path() + " holds a finished " + run + " (summary.json)" + why;
  }

  /**
   * What to print if the process is interrupted from now on: what is saved and the command that
   * continues the run (computed when the interruption comes); from now on the folder is kept. A new
   * run calls this before it writes its first file into the folder: if the shutdown hook has
   * already abandoned the folder (the run was interrupted while loading), nothing may be written
   * into it any more, and this never returns, the process halting once its shutdown hooks end.
   */
  void onInterrupt(Supplier<String> message) {
    unlessAbandoned(
        () -> {
          this.onInterrupt = message;
          this.abandonable = false;
        });
  }

  /**
   * For a new run that waits before it starts and writes nothing into its folder meanwhile (the
   * server's wait for its nodes): if the process is interrupted from now on, before {@link
   * #started}, the shutdown hook abandons the folder as {@link #close} abandons a run that failed
   * before it started ({@link RunFolder#abandon}: what the start wrote is removed, a folder the
   * command created is removed, and a run it was to replace with {@code --force} is put back), and
   * prints {@code message} followed by what it left ({@link #abandonNow}). A resumed run has
   * started from the outset: for it, this is {@link #onInterrupt}, the folder being kept.
   */
  synchronized void abandonOnInterrupt(Supplier<String> message) {
    this.onInterrupt = message;
    this.abandonable = true;
  }

  /**
   * Starts a new federated run ({@code simulate}, {@code server}) of {@code config} in this guard's
   * folder ({@link Simulation#create}): until its first write into the folder an interruption
   * leaves the folder as found; from then on it keeps it and names the resume, {@link
   * #roundsSaved}'s "interrupted before round 1 was saved; fedpeft COMMAND --resume DIR OPTIONS
   * starts the run again from round 1".
   *
   * @param options what else the resuming command needs ("" for nothing)
   */
  Simulation createSimulation(SimulationConfig config, String command, String options)
      throws IOException {
    Path dir = path();
    int rounds = config.rounds();
    return Simulation.create(
        config, dir, () -> onInterrupt(() -> roundsSaved(command, 0, rounds, dir, options)));
  }

  /**
   * What an interrupted federated run (simulate, server) has saved and the command that continues
   * it, for {@link #onInterrupt}.
   *
   * @param command the command ("simulate", "server")
   * @param saved the rounds its checkpoint holds
   * @param options what else the continuing command needs ("" for nothing)
   */
  static String roundsSaved(String command, int saved, int total, Path dir, String options) {
    return saved == 0
        ? "interrupted before round 1 was saved; "
            + resumeCommand(command, dir, options)
            + " starts the run again from round 1"
        : "interrupted: "
            + savedIn(saved, total, dir)
            + "; continue with: "
            + resumeCommand(command, dir, options);
  }

  /**
   * What a resumed federated run that ends before its next round (a server's --wait-seconds running
   * out) leaves: "DIR is kept as it was: rounds 1 to K of N are saved in DIR/checkpoint; resume it
   * again with: fedpeft COMMAND --resume DIR OPTIONS", or with no round saved "DIR is kept as it
   * was, with no round saved: fedpeft COMMAND --resume DIR OPTIONS starts the run again from round
   * 1". Unlike {@link #roundsSaved}, it does not begin with "interrupted".
   *
   * @param saved the rounds its checkpoint holds
   * @param options what else the resuming command needs ("" for nothing)
   */
  static String keptAsItWas(String command, int saved, int total, Path dir, String options) {
    return saved == 0
        ? dir
            + " is kept as it was, with no round saved: "
            + resumeCommand(command, dir, options)
            + " starts the run again from round 1"
        : dir
            + " is kept as it was: "
            + savedIn(saved, total, dir)
            + "; resume it again with: "
            + resumeCommand(command, dir, options);
  }

  /** "round 1 of N is saved in DIR/checkpoint" or "rounds 1 to K of N are saved in ...". */
  private static String savedIn(int saved, int total, Path dir) {
    return String.format(
        java.util.Locale.ROOT,
        "%s of %d %s saved in %s",
        saved == 1 ? "round 1" : "rounds 1 to " + saved,
        total,
        saved == 1 ? "is" : "are",
        dir.resolve("checkpoint"));
  }

  /** How to resume the run in {@code dir}: {@link CommandName#resume}. */
  static String resumeCommand(String command, Path dir, String options) {
    return CommandName.resume(command, dir, options);
  }

  private void interrupted() {
    String m;
    boolean abandon;
    synchronized (this) {
      abandon = abandonable && !started;
      abandoned = abandon; // from now on started() never returns: the folder is not written to
    }
    try {
      m = onInterrupt.get();
    } catch (RuntimeException e) {
      m = "interrupted; the run folder is " + folder.path();
    }
    if (abandon) {
      m = (m == null ? "interrupted while the run was starting" : m) + "; " + abandonNow();
    }
    Path replaced = started || abandon ? null : folder.replacedRun();
    if (replaced != null) {
      m = m + "\nthe run it was replacing (--force) is kept in " + replaced;
    }
    if (m != null) {
      err.println();
      err.println(m);
      err.flush();
    }
  }

  /**
   * Abandons now the folder of a new run that ends before it started without being interrupted (the
   * server's wait for its nodes ran out, {@code --wait-seconds}), as {@link #close} would, and says
   * what that left in the words an interrupted wait ends with ({@link #abandonNow}); null if the
   * process is being interrupted meanwhile, whose shutdown hook then abandons the folder and says
   * so.
   */
  String abandonUnstarted() {
    if (!ShutdownHooks.remove(hook)) {
      return null;
    }
    return abandonNow();
  }

  /**
   * Abandons the folder of a new run interrupted before it started ({@link #abandonOnInterrupt}),
   * or whose wait ran out before it started ({@link #abandonUnstarted}), and says what that left:
   * "nothing was trained, and DIR is removed again (this command created it) | is empty again, as
   * the command found it | holds again the run that --force was to replace: the same command starts
   * the run again"; where the folder cannot be put back, why, and that the same command, with
   * --force if it refuses the folder, starts the run again.
   */
  private String abandonNow() {
    Path dir = folder.path();
    Path replaced = folder.replacedRun();
    try {
      folder.abandon();
    } catch (IOException | RuntimeException e) {
      return "nothing was trained, but "
          + dir
          + " could not be left as the command found it ("
          + e
          + "): the same command, with --force if it refuses the folder, starts the run again";
    }
    return "nothing was trained, and "
        + dir
        + (replaced != null
            ? " holds again the run that --force was to replace"
            : Files.exists(dir)
                ? " is empty again, as the command found it"
                : " is removed again (this command created it)")
        + ": the same command starts the run again";
  }

  @Override
  public void close() throws IOException {
    if (!ShutdownHooks.remove(hook)) {
      // The process is shutting down: the hook runs (or ran) and the OS releases the lock.
      return;
    }
    if (started) {
      folder.close();
    } else {
      folder.abandon();
    }
  }
}
