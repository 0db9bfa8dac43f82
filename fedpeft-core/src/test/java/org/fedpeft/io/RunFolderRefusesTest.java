package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: whether the file system refuses a path ({@code EPERM}, {@code EROFS}) was told by
 * the JDK's English words for it, which follow the process's language ("Die Operation ist nicht
 * erlaubt" with {@code LC_ALL=de_DE.UTF-8}), and a file among a folder's parents ({@code ENOTDIR},
 * a plain FileSystemException) was not a refusal, nor a name too long ({@code ENAMETOOLONG}).
 * {@link RunFolder#refuses} is the one rule, and it does not depend on the language.
 */
class RunFolderRefusesTest {

  @TempDir Path tmp;

  @Test
  void theKindsTheJdkNamesAreRefusals() {
    assertTrue(RunFolder.refuses(new AccessDeniedException("/x")));
    assertTrue(RunFolder.refuses(new NoSuchFileException("/x")));
    assertTrue(RunFolder.refuses(new NotDirectoryException("/x")));
    assertTrue(RunFolder.refuses(new FileAlreadyExistsException("/x")));
    assertFalse(RunFolder.refuses(new DirectoryNotEmptyException(tmp.toString())));
  }

  @Test
  void aFullDiskOrAnIoErrorIsNot() {
    assertFalse(
        RunFolder.refuses(
            new FileSystemException(tmp.resolve("x").toString(), null, "No space left on device")));
    assertFalse(
        RunFolder.refuses(
            new FileSystemException(tmp.resolve("x").toString(), null, "Input/output error")));
    assertFalse(RunFolder.refuses(new FileSystemException(null, null, "Input/output error")));
  }

  /** The words this process gets for EPERM, whatever its language, are a refusal. */
  @Test
  void epermInThisProcessWordsIsARefusal() {
    String reason = RunFolder.epermReason();
    assumeTrue(reason != null, "this system does not refuse a hard link to a folder with EPERM");
    assertTrue(RunFolder.refuses(new FileSystemException("/sys/x", null, reason)));
    // Where /sys refuses a new folder with EPERM (Linux), its words are the same.
    try {
      Files.createDirectory(Path.of("/sys/fedpeft-qa-refuses"));
      Files.delete(Path.of("/sys/fedpeft-qa-refuses"));
    } catch (FileSystemException e) {
      if (e.getClass() == FileSystemException.class) {
        assertEquals(reason, e.getReason());
        assertTrue(RunFolder.refuses(e));
      }
    } catch (IOException e) {
      // not a refusal to compare with
    }
  }

  /** mkdir under a file fails with ENOTDIR, which the JDK words in the process's language. */
  @Test
  void aFileAmongTheFoldersIsARefusal() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    FileSystemException e =
        assertThrows(FileSystemException.class, () -> Files.createDirectories(file.resolve("a/b")));
    assertEquals(FileSystemException.class, e.getClass(), e.toString());
    assertTrue(RunFolder.refuses(e), e.toString());
  }

  /** ENAMETOOLONG: the user's choice of name, also a plain FileSystemException. */
  @Test
  void aNameTooLongIsARefusal() throws IOException {
    FileSystemException e =
        assertThrows(
            FileSystemException.class, () -> Files.createDirectory(tmp.resolve("y".repeat(300))));
    assertEquals(FileSystemException.class, e.getClass(), e.toString());
    assertTrue(RunFolder.refuses(e), e.toString());
    // train --out: the run folder's message, as before
    RunFolderException r =
        assertThrows(
            RunFolderException.class,
            () -> RunFolder.createNew(tmp.resolve("y".repeat(300)), "train", false));
    assertTrue(r.getMessage().endsWith("; choose another --out"), r.getMessage());
  }
}
