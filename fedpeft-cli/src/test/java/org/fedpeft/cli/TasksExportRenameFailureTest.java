package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dedupe, 3 December: {@code tasks export} turned every failure to rename the written folder into
 * place into bad input (exit 2), a full disk or an I/O error too. Only a path the file system
 * refuses ({@link org.fedpeft.io.RunFolder#refuses}) is the user's; any other failure is the
 * machine's (exit 1). A rename that fails without a refusal is provoked with {@code EINVAL} (the
 * folder renamed into itself), as no test here can make a rename fail with an I/O error; a refused
 * one with {@code EPERM} (the folder's parent made immutable with {@code chattr +i}; skipped where
 * that cannot be done).
 */
class TasksExportRenameFailureTest {

  private static final long HANG_SECONDS = 60;

  @TempDir Path tmp;

  @Test
  void aRenameFailureThatIsNoRefusalIsTheMachines() throws IOException {
    Path staged = Files.createDirectory(tmp.resolve("staged"));
    Files.writeString(staged.resolve("train.jsonl"), "{}\n");
    Path target = staged.resolve("inside"); // rename(2): EINVAL, a folder into itself
    Path out = Path.of("out");

    Exception e =
        assertThrows(
            Exception.class, () -> TasksCommand.ExportCommand.moveInto(staged, target, out));

    assertInstanceOf(FileSystemException.class, e, e.toString());
    assertFalse(Main.isBadInput(e), "exit 2 for " + e);
    assertTrue(Files.exists(staged.resolve("train.jsonl")));
  }

  @Test
  void aRenameTheFileSystemRefusesIsTheUsers() throws Exception {
    Path parent = Files.createDirectory(tmp.resolve("parent"));
    Path staged = Files.createDirectory(parent.resolve("staged"));
    Path target = parent.resolve("export");
    Path out = Path.of("export");
    assumeTrue(chattr("+i", parent), "chattr +i does not work on " + parent);
    Exception e;
    try {
      e =
          assertThrows(
              Exception.class, () -> TasksCommand.ExportCommand.moveInto(staged, target, out));
    } finally {
      assertTrue(chattr("-i", parent), "could not make " + parent + " mutable again");
    }

    assertInstanceOf(UserInputException.class, e, e.toString());
    assertTrue(Main.isBadInput(e));
    assertTrue(
        e.getMessage().startsWith("--out export: cannot rename the exported files into place ("),
        e.getMessage());
    assertFalse(Files.exists(target));
  }

  private static boolean chattr(String flag, Path p) throws InterruptedException {
    try {
      Process c =
          new ProcessBuilder("chattr", flag, p.toString()).redirectErrorStream(true).start();
      String output = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(c.waitFor(HANG_SECONDS, TimeUnit.SECONDS), "chattr did not end");
      if (c.exitValue() != 0) {
        System.err.println("chattr " + flag + " " + p + ": " + output);
      }
      return c.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
