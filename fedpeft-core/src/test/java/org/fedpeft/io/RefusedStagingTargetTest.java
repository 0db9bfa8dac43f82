package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * QA, 3 December: a {@link StagingFolder} under a folder that refuses new files failed naming its
 * lock file ({@code /sys/.x.tmp-PID-0.lock: permission denied}), a hidden file the user never
 * named; the refusal names the target. Where /sys does not refuse a new file (not Linux), the tests
 * that need it are skipped.
 */
class RefusedStagingTargetTest {

  private static final Path TARGET = Path.of("/sys/fedpeft-qa-staging");

  private static void assumeSysRefusesFiles() {
    Path probe = TARGET.resolveSibling("fedpeft-qa-probe");
    boolean refused;
    try {
      Files.createFile(probe);
      Files.delete(probe);
      refused = false;
    } catch (FileSystemException e) {
      refused = true;
    } catch (IOException e) {
      refused = false;
    }
    assumeTrue(refused, "/sys does not refuse a new file here");
  }

  @Test
  void aRefusedStagingFolderNamesItsTarget() {
    assumeSysRefusesFiles();
    FileSystemException e =
        assertThrows(FileSystemException.class, () -> StagingFolder.create(TARGET, n -> {}));
    assertEquals(TARGET.toString(), e.getFile());
    FileSystemException w =
        assertThrows(
            FileSystemException.class,
            () -> AtomicFiles.writeFolder(TARGET, d -> Files.writeString(d.resolve("f"), "x")));
    assertEquals(TARGET.toString(), w.getFile());
  }

  /** A relative folder and its absolute path, as a staging folder's refusal names it, are one. */
  @Test
  void theOutputFolderGivenRelativeIsNotNamedTwice() {
    Path out = Path.of("refused-out");
    assertEquals(
        "refused-out: cannot create the output folder (permission denied); choose another --out",
        RunFolder.cannotCreate(
            out, "--out", new AccessDeniedException(out.toAbsolutePath().toString())));
  }
}
