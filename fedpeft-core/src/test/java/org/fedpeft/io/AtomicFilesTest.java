package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

  @TempDir Path dir;

  private List<String> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writeCreatesAndReplaces() throws IOException {
    Path target = dir.resolve("a.bin");
    AtomicFiles.write(target, new byte[] {1, 2, 3});
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
    AtomicFiles.write(target, new byte[] {9});
    assertArrayEquals(new byte[] {9}, Files.readAllBytes(target));
    assertEquals(List.of("a.bin"), listing());
  }

  /** As write, the folder's sync left to the caller: the same files, no temporary one left. */
  @Test
  void writeFolderUnsyncedCreatesAndReplacesLikeWrite() throws IOException {
    Path target = dir.resolve("s/a.bin");
    AtomicFiles.writeFolderUnsynced(target, new byte[] {1, 2, 3});
    AtomicFiles.writeFolderUnsynced(target, new byte[] {9});
    AtomicFiles.fsyncDirectory(target.getParent());
    assertArrayEquals(new byte[] {9}, Files.readAllBytes(target));
    try (Stream<Path> s = Files.list(target.getParent())) {
      assertEquals(List.of("a.bin"), s.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void writeStringIsUtf8AndCreatesParents() throws IOException {
    Path target = dir.resolve("x/y/report.txt");
    AtomicFiles.writeString(target, "héllo ✓");
    assertEquals("héllo ✓", Files.readString(target, StandardCharsets.UTF_8));
  }

  @Test
  void writeWithStreamsLargeContentAndToleratesClose() throws IOException {
    Path target = dir.resolve("big.bin");
    byte[] expected = new byte[300_000];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = (byte) (i * 31);
    }
    AtomicFiles.writeWith(
        target,
        out -> {
          for (int i = 0; i < expected.length; i += 1000) {
            out.write(expected, i, Math.min(1000, expected.length - i));
          }
          out.close(); // allowed; the file is finished by AtomicFiles
        });
    assertArrayEquals(expected, Files.readAllBytes(target));
    assertEquals(List.of("big.bin"), listing());
  }

  @Test
  void targetKeepsOldContentWhileBeingWritten() throws IOException {
    Path target = dir.resolve("state.json");
    Files.writeString(target, "old");
    AtomicFiles.writeWith(
        target,
        out -> {
          out.write("new".getBytes(StandardCharsets.UTF_8));
          out.flush();
          assertEquals("old", Files.readString(target));
        });
    assertEquals("new", Files.readString(target));
  }

  @Test
  void ioFailureInsideConsumerLeavesOriginalAndNoTempFile() throws IOException {
    Path target = dir.resolve("checkpoint.bin");
    Files.write(target, new byte[] {42, 43});
    IOException boom = new IOException("disk on fire");
    IOException thrown =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.writeWith(
                    target,
                    out -> {
                      out.write(new byte[100_000]); // more than the buffer: reaches the temp file
                      throw boom;
                    }));
    assertSame(boom, thrown);
    assertArrayEquals(new byte[] {42, 43}, Files.readAllBytes(target));
    assertEquals(List.of("checkpoint.bin"), listing());
  }

  @Test
  void runtimeFailureInsideConsumerLeavesOriginalAndNoTempFile() throws IOException {
    Path target = dir.resolve("metrics.jsonl");
    Files.writeString(target, "line 1\n");
    assertThrows(
        UncheckedIOException.class,
        () ->
            AtomicFiles.writeWith(
                target,
                out -> {
                  out.write("partial".getBytes(StandardCharsets.UTF_8));
                  throw new UncheckedIOException(new IOException("network gone"));
                }));
    assertEquals("line 1\n", Files.readString(target));
    assertEquals(List.of("metrics.jsonl"), listing());
  }

  @Test
  void failureWithoutPreviousFileLeavesNothing() throws IOException {
    Path target = dir.resolve("new.bin");
    assertThrows(
        IllegalStateException.class,
        () ->
            AtomicFiles.writeWith(
                target,
                out -> {
                  out.write(1);
                  throw new IllegalStateException("bug");
                }));
    assertFalse(Files.exists(target));
    assertEquals(List.of(), listing());
  }

  @Test
  void refusesToReplaceADirectory() throws IOException {
    Path target = dir.resolve("sub");
    Files.createDirectory(target);
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[1]));
    assertEquals(target + ": is a directory, cannot replace it with a file", e.getMessage());
    assertEquals(List.of("sub"), listing());
  }

  @Test
  void writesAfterCloseFail() throws IOException {
    Path target = dir.resolve("c.bin");
    assertThrows(
        IOException.class,
        () ->
            AtomicFiles.writeWith(
                target,
                out -> {
                  out.close();
                  out.write(1);
                }));
    assertEquals(List.of(), listing());
  }

  /**
   * Issue 15: "an adapter folder is written one file at a time; a full disk left a new head next to
   * the old LoRA weights". A folder write that fails after its first file leaves the old folder
   * whole and no temporary folder.
   */
  @Test
  void writeFolderFailingMidWriteLeavesTheOldFolderWhole() throws IOException {
    Path target = dir.resolve("adapter");
    AtomicFiles.writeFolder(
        target,
        d -> {
          Files.writeString(d.resolve("head.safetensors"), "old head");
          Files.writeString(d.resolve("adapter_model.safetensors"), "old lora");
        });
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.writeFolder(
                    target,
                    d -> {
                      Files.writeString(d.resolve("head.safetensors"), "new head");
                      throw new IOException("No space left on device");
                    }));
    assertEquals("No space left on device", e.getMessage());
    assertEquals("old head", Files.readString(target.resolve("head.safetensors")));
    assertEquals("old lora", Files.readString(target.resolve("adapter_model.safetensors")));
    assertEquals(List.of("adapter"), listing());
    AtomicFiles.writeFolder(target, d -> Files.writeString(d.resolve("head.safetensors"), "new"));
    assertEquals("new", Files.readString(target.resolve("head.safetensors")));
    assertFalse(Files.exists(target.resolve("adapter_model.safetensors")), "replaced whole");
    assertEquals(List.of("adapter"), listing());
  }

  /** Leftovers of a crashed folder write (its temporary or set-aside folder) are cleared. */
  @Test
  void writeFolderClearsLeftoversOfACrashedWrite() throws IOException {
    Files.createDirectories(dir.resolve(".adapter.1234.tmp"));
    Files.writeString(dir.resolve(".adapter.1234.tmp/half"), "x");
    Files.createDirectories(dir.resolve(".adapter.99.old"));
    AtomicFiles.writeFolder(dir.resolve("adapter"), d -> Files.writeString(d.resolve("f"), "y"));
    assertEquals(List.of("adapter"), listing());
  }
}
