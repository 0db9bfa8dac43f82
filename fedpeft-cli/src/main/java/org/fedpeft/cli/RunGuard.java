package org.fedpeft.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.fedpeft.io.RunFolder;

/**
 * A command's hold on its output folder for as long as it runs: the folder's lock ({@link
 * RunFolder}) and a shutdown hook that, when the process is interrupted (Ctrl-C, SIGTERM) before
 * the command ends, prints what is saved and how to resume. Closing it (at the end of the command,
 * also after a failure) removes the hook and releases the lock; a folder it created that is still
 * empty (the command failed before writing anything) is removed.
 */
final class RunGuard implements AutoCloseable {

  private final RunFolder folder;
  private final PrintWriter err;
  private volatile Supplier<String> onInterrupt = () -> null;
  private final Thread hook;

  private RunGuard(RunFolder folder, PrintWriter err) {
    this.folder = folder;
    this.err = err;
    this.hook = new Thread(this::interrupted, "fedpeft-interrupt");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * The folder of a new run of {@code command}: {@code out}, or a new {@code
   * runs/<command>-<time>-p<pid>} when it is null; {@code force} replaces a folder that holds a
   * run.
   *
   * @throws UserInputException if {@code out} is an empty path
   */
  static RunGuard newRun(Path out, String command, boolean force, PrintWriter err)
      throws IOException {
    if (out != null && out.toString().isEmpty()) {
      throw new UserInputException(
          "--out is empty: give a folder name (an empty one would write into the current folder)");
    }
    RunFolder f =
        out == null
            ? RunFolder.createDefault(Path.of("runs"), command)
            : RunFolder.createNew(out, command, force);
    return new RunGuard(f, err);
  }

  /** The existing folder of a run of {@code command}, to resume it. */
  static RunGuard resume(Path dir, String command, PrintWriter err) throws IOException {
    return new RunGuard(RunFolder.reopen(dir, command), err);
  }

  /** The run folder. */
  Path path() {
    return folder.path();
  }

  /**
   * What to print if the process is interrupted from now on: what is saved and the command that
   * continues the run (computed when the interruption comes).
   */
  void onInterrupt(Supplier<String> message) {
    this.onInterrupt = message;
  }

  private void interrupted() {
    String m;
    try {
      m = onInterrupt.get();
    } catch (RuntimeException e) {
      m = "interrupted; the run folder is " + folder.path();
    }
    if (m != null) {
      err.println();
      err.println(m);
      err.flush();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The process is shutting down: the hook runs (or ran) and the OS releases the lock.
      return;
    }
    folder.closeAndRemoveIfEmpty();
  }
}
