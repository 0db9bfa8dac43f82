package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunFolder}'s refusals with the launcher's name ({@link CommandName}) and a run folder
 * whose path holds a space and a single quote: every command a refusal says to run names the
 * launcher as run and the folder as one shell word.
 */
class RunFolderHintsTest {

  @TempDir Path tmp;

  private SystemProperties.Restore name;

  @BeforeEach
  void launcher() {
    name = SystemProperties.set(CommandName.PROPERTY, "./fedpeft");
  }

  @AfterEach
  void restore() {
    name.close();
  }

  /**
   * --resume of a folder holding no run says which command starts one, naming the launcher as run,
   * with a CONFIG for simulate and none for train, which takes its settings as options.
   */
  @Test
  void aFolderWithoutARunNamesTheLauncherAndTrainsArguments() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("it's my run"));
    Files.writeString(dir.resolve("notes.txt"), "mine");
    RunFolderException e =
        assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "simulate"));
    assertEquals(
        dir
            + " holds no fedpeft run to resume (it has notes.txt but no "
            + RunFolder.LOCK_FILE
            + " naming the command that started a run there); start a run with ./fedpeft simulate"
            + " CONFIG --out and a new or empty folder",
        e.getMessage());
    e = assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "train"));
    assertTrue(
        e.getMessage()
            .endsWith("; start a run with ./fedpeft train --out and a new or empty folder"),
        e.getMessage());
  }

  /**
   * Guard: the hints that say to resume quote a folder holding a space and a single quote as one
   * shell word; a finished run gets none; a folder in use names its holder, no command.
   */
  @Test
  void theResumeHintsQuoteTheFolderAndAFinishedRunGetsNone() throws Exception {
    Path dir = tmp.resolve("it's my run");
    RunFolder.createNew(dir, "train", false).close();
    Files.writeString(dir.resolve("train.json"), "{}");
    String quoted = "'" + tmp + "/it'\\''s my run'";
    RunFolderException e =
        assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "train", false));
    assertTrue(
        e.getMessage().contains("; continue it with ./fedpeft train --resume " + quoted + ", "),
        e.getMessage());
    e = assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "server"));
    assertEquals(
        dir
            + " holds the output of `fedpeft train`, not of `fedpeft server`: resume it with"
            + " ./fedpeft train --resume "
            + quoted,
        e.getMessage());
    RunFolder held = RunFolder.reopen(dir, "train");
    try {
      e = assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "train"));
      assertTrue(
          e.getMessage().startsWith(dir + " is in use by another run in this process (pid "),
          e.getMessage());
    } finally {
      held.close();
    }
    Files.writeString(dir.resolve("summary.json"), "{}");
    e = assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "simulate"));
    assertTrue(
        e.getMessage().endsWith(", a finished train run (summary.json): nothing to resume"),
        e.getMessage());
    e = assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "train", false));
    assertTrue(
        e.getMessage()
            .endsWith(
                "nothing to continue; replace it with --force, or choose" + " another folder"),
        e.getMessage());
  }
}
