package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link AtomicFiles#writeOwnerOnly}: a private key's file, owner-only from its creation. */
class AtomicFilesOwnerOnlyTest {

  @TempDir Path tmp;

  @Test
  void theFileIsOwnerOnlyAndNoTemporaryFileIsLeft() throws Exception {
    assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"));
    Path key = tmp.resolve("sub").resolve("a.key");
    AtomicFiles.writeOwnerOnly(key, new byte[] {1, 2, 3});
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(key));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    // replacing a file that others could read leaves an owner-only one
    Path open = tmp.resolve("open.key");
    Files.writeString(open, "old");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
    AtomicFiles.writeOwnerOnly(open, new byte[] {4});
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(open)));
    try (Stream<Path> s = Files.list(key.getParent())) {
      assertEquals(List.of(key), s.toList());
    }
  }
}
