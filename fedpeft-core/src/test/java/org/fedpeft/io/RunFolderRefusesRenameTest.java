package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dedupe, 3 December: a rename whose new name is longer than the file system allows fails with
 * {@code ENAMETOOLONG} naming both paths, the old (short) one first; {@link RunFolder#refuses}
 * looked at that one only, so the refusal counted as the machine's failure ({@code tasks export
 * --out} with a 300-character name then exited 1). Either path of a rename may be the refused one.
 */
class RunFolderRefusesRenameTest {

  @TempDir Path tmp;

  @Test
  void aRenameToANameTooLongIsARefusal() throws Exception {
    Path from = Files.createDirectory(tmp.resolve("staged"));
    Path to = tmp.resolve("x".repeat(300));

    FileSystemException e =
        assertThrows(
            FileSystemException.class, () -> Files.move(from, to, StandardCopyOption.ATOMIC_MOVE));

    assertTrue(RunFolder.refuses(e), e.toString());
  }

  @Test
  void aRenameThatFailsOtherwiseIsNoRefusal() throws Exception {
    Path from = Files.createDirectory(tmp.resolve("staged"));
    Path into = from.resolve("inside"); // EINVAL: a folder into itself

    FileSystemException e =
        assertThrows(
            FileSystemException.class,
            () -> Files.move(from, into, StandardCopyOption.ATOMIC_MOVE));

    assertFalse(RunFolder.refuses(e), e.toString());
  }
}
