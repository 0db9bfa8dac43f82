package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live {@link StagingFolder}'s lock stays held while another staging of this process cleans up
 * beside the same target. On POSIX systems closing any descriptor of a file drops every lock the
 * process holds on it, so the cleanup must never open a live staging's lock file. QA, 3 December:
 * the cleanup recognised this process's live lock files by their path only, so a staging reaching
 * the same folder by another path (a symbolic link) opened the live lock file, and the lock was
 * gone: another process (one with the same id in another container, or on another machine of a
 * shared file system) could then delete the live folder.
 */
class StagingFolderHeldLockTest {

  /** Only to detect a hang. */
  private static final long HANG_SECONDS = 120;

  @TempDir Path tmp;

  /** Prints "held" if another process holds a lock on the file {@code args[0]}, else "free". */
  public static final class LockProbe {
    private LockProbe() {}

    public static void main(String[] args) throws IOException {
      try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE);
          FileLock lock = ch.tryLock()) {
        System.out.println(lock == null ? "held" : "free");
      }
    }
  }

  /** What {@link LockProbe} in another process says about {@code file}. */
  private static String probe(Path file) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            LockProbe.class.getName(),
            file.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(HANG_SECONDS, TimeUnit.SECONDS), out);
      assertEquals(0, p.exitValue(), out);
      return out.strip();
    } finally {
      p.destroyForcibly();
    }
  }

  private static List<Path> lockFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".lock")).sorted().toList();
    }
  }

  @Test
  void aStagingThroughASymbolicLinkLeavesTheLiveLockHeld() throws Exception {
    Path real = Files.createDirectory(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    try (StagingFolder live = StagingFolder.create(real.resolve("out"), n -> {})) {
      Path lock = live.path().resolveSibling(live.path().getFileName() + ".lock");
      assertEquals("held", probe(lock));
      try (StagingFolder other = StagingFolder.create(link.resolve("out"), n -> {})) {
        assertTrue(Files.isDirectory(live.path()), "the live staging folder stays");
        assertTrue(Files.isDirectory(other.path()));
        assertEquals(2, lockFiles(real).size());
        assertEquals("held", probe(lock), "the live staging's lock after the other's cleanup");
      }
      assertEquals("held", probe(lock), "after the other staging closed");
    }
    assertEquals(List.of(), lockFiles(real));
  }
}
