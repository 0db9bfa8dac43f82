package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@link RunFolder#lockWrites}, the lock of one short call's writes into a folder
 * ({@code fedpeft certs}'s): held once at a time, and its file removed when it is closed.
 */
class RunFolderLockWritesTest {

  @TempDir Path dir;

  @Test
  void aSecondHolderIsRefusedAndTheFileGoesOnClose() throws Exception {
    Path file = dir.resolve(".w.lock");
    java.io.Closeable held = RunFolder.lockWrites(dir, ".w.lock", "certs");
    try {
      assertTrue(Files.isRegularFile(file));
      assertTrue(Files.readString(file).contains("\"command\":\"certs\""), Files.readString(file));
      RunFolderException e =
          assertThrows(
              RunFolderException.class, () -> RunFolder.lockWrites(dir, ".w.lock", "certs"));
      assertTrue(
          e.getMessage().startsWith(dir + " is in use by another run in this process (pid "));
      assertTrue(Files.isRegularFile(file), "the refused call removed the holder's lock file");
    } finally {
      held.close();
    }
    assertFalse(Files.exists(file));
    RunFolder.lockWrites(dir, ".w.lock", "certs").close();
    try (java.util.stream.Stream<Path> left = Files.list(dir)) {
      assertEquals(0, left.count());
    }
  }
}
