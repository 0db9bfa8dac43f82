package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * QA, 3 December: {@code certs --out /sys/x} exited 1 (an internal failure) with "Operation not
 * permitted", where {@code train --out /sys/x} exits 2: a path the file system refuses (EPERM,
 * EROFS) is the user's choice. A full disk or an I/O error stays an internal failure.
 */
class RefusedPathExitCliTest {

  @Test
  void aPathTheFileSystemRefusesIsBadInput() {
    assertTrue(Main.isBadInput(new FileSystemException("/sys/x", null, "Operation not permitted")));
    assertTrue(
        Main.isBadInput(new FileSystemException("/mnt/ro/x", null, "Read-only file system")));
  }

  @Test
  void aFullDiskOrAnIoErrorIsNot() {
    assertFalse(
        Main.isBadInput(new FileSystemException("/data/x", null, "No space left on device")));
    assertFalse(Main.isBadInput(new FileSystemException("/data/x", null, "Input/output error")));
  }

  /** Where /sys refuses a new folder with EPERM (Linux): the whole command line. */
  @Test
  void certsIntoSysExits2NamingThePath() {
    Path target = Path.of("/sys/fedpeft-qa");
    assumeTrue(refusesWithEperm(target), "/sys does not refuse a folder with EPERM here");
    CliRun.Result r = CliRun.run("certs", "--out", target.toString(), "--clients", "a");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: "
            + target
            + ": cannot create the output folder (Operation not permitted); choose another --out",
        r.err().strip());
  }

  private static boolean refusesWithEperm(Path dir) {
    try {
      Files.createDirectory(dir);
      Files.delete(dir);
      return false;
    } catch (FileSystemException e) {
      return "Operation not permitted".equals(e.getReason());
    } catch (IOException e) {
      return false;
    }
  }
}
