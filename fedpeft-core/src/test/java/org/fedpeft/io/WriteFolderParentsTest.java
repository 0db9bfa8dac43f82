package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parent folders {@link AtomicFiles#writeFolder} creates go again when the write fails. */
class WriteFolderParentsTest {

  @TempDir Path tmp;

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Before, a failed write left the parent folders it had created (empty) behind. */
  @Test
  void aFailedWriteRemovesTheParentFoldersItCreated() throws IOException {
    Path target = tmp.resolve("run").resolve("client-1").resolve("adapter");
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.writeFolder(
                    target,
                    d -> {
                      Files.writeString(d.resolve("head.safetensors"), "half");
                      throw new IOException("No space left on device");
                    }));
    assertEquals("No space left on device", e.getMessage());
    assertEquals(List.of(), names(tmp));
  }

  /** A parent folder that existed before stays, and so does a successful write's. */
  @Test
  void existingAndUsedParentFoldersStay() throws IOException {
    Path run = Files.createDirectory(tmp.resolve("run"));
    assertThrows(
        IOException.class,
        () ->
            AtomicFiles.writeFolder(
                run.resolve("client-1").resolve("adapter"),
                d -> {
                  throw new IOException("failed");
                }));
    assertEquals(List.of("run"), names(tmp));
    assertEquals(List.of(), names(run));
    AtomicFiles.writeFolder(
        run.resolve("client-1").resolve("adapter"), d -> Files.writeString(d.resolve("f"), "x"));
    assertEquals(List.of("client-1"), names(run));
    assertEquals(List.of("adapter"), names(run.resolve("client-1")));
  }
}
