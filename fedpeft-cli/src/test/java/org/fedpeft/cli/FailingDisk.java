package org.fedpeft.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file whose every read fails with a plain I/O error (EIO), standing for a failing disk: a sysfs
 * attribute that answers reads so. A test links the file it wants unreadable to it.
 */
final class FailingDisk {

  private static final Path EIO = Path.of("/sys/devices/system/cpu/power/autosuspend_delay_ms");

  private FailingDisk() {}

  /**
   * The file, or the calling test skipped (with the reason) where this machine's file does not fail
   * reads with a plain I/O error: absent, unreadable, or refused as a file system refusal.
   */
  static Path eioFileOrSkip() {
    assumeTrue(readFailsWithPlainIoError(EIO), EIO + " does not fail reads with EIO here");
    return EIO;
  }

  private static boolean readFailsWithPlainIoError(Path file) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      return false;
    }
    try {
      Files.readAllBytes(file);
      return false;
    } catch (FileSystemException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }
}
