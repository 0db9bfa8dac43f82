package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AtomicFiles#writeFolder} in a process that is stopped mid-write: SIGTERM (as Ctrl-C) runs
 * the staging folder's shutdown hook, which deletes it; SIGKILL leaves it, and the next write
 * deletes it. The old folder stays whole either way.
 */
class AtomicFilesInterruptTest {

  /** Only to detect a hang; every wait ends on an event long before. */
  private static final long HANG_SECONDS = 120;

  private static final String WRITING = "writing into ";

  @TempDir Path tmp;

  /** Writes a folder {@code args[0]} and holds, part-way, until the process is stopped. */
  public static final class Writer {
    private Writer() {}

    public static void main(String[] args) throws IOException {
      AtomicFiles.writeFolder(
          Path.of(args[0]),
          d -> {
            Files.writeString(d.resolve("head.safetensors"), "new head");
            System.out.println(WRITING + d);
            System.out.flush();
            CountDownLatch never = new CountDownLatch(1);
            while (true) {
              try {
                never.await();
              } catch (InterruptedException e) {
                // Held until the process is stopped.
              }
            }
          });
    }
  }

  /** Writes a folder {@code args[0]} from a shutdown hook, and says how that went. */
  public static final class HookWriter {
    private HookWriter() {}

    public static void main(String[] args) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      AtomicFiles.writeFolder(
                          Path.of(args[0]),
                          d -> Files.writeString(d.resolve("head.safetensors"), "at shutdown"));
                      System.out.println("written");
                    } catch (IOException | RuntimeException e) {
                      System.out.println("failed: " + e);
                    }
                  }));
    }
  }

  /** Runs {@code main} of {@code mainClass} with {@code args}; returns its output once it ends. */
  private static String run(Class<?> mainClass, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(java, "-cp", System.getProperty("java.class.path"), mainClass.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(HANG_SECONDS, TimeUnit.SECONDS), out);
      return out;
    } finally {
      p.destroyForcibly();
    }
  }

  /** Starts {@link Writer} for {@code target}; returns once it is writing, with its folder. */
  private static Process startWriter(Path target, Path[] staging) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            Writer.class.getName(),
            target.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder log = new StringBuilder();
    String line;
    while ((line = r.readLine()) != null) {
      log.append(line).append('\n');
      if (line.startsWith(WRITING)) {
        staging[0] = Path.of(line.substring(WRITING.length()));
        return p;
      }
    }
    throw new AssertionError("the writer never started writing:\n" + log);
  }

  private static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    }
  }

  private Path oldFolder() throws IOException {
    Path target = tmp.resolve("adapter");
    AtomicFiles.writeFolder(target, d -> Files.writeString(d.resolve("head.safetensors"), "old"));
    return target;
  }

  /**
   * Before, a Ctrl-C while an adapter folder was written left its temporary folder behind until the
   * next write of that folder. The shutdown hook now deletes it and its lock file.
   */
  @Test
  void sigtermMidWriteLeavesNoStagingFolder() throws Exception {
    Path target = oldFolder();
    Path[] staging = new Path[1];
    Process p = startWriter(target, staging);
    try {
      assertTrue(Files.exists(staging[0].resolve("head.safetensors")));
      p.destroy(); // SIGTERM: shutdown hooks run
      assertTrue(p.waitFor(HANG_SECONDS, TimeUnit.SECONDS));
    } finally {
      p.destroyForcibly();
    }
    assertNotEquals(0, p.exitValue());
    assertEquals(Set.of("adapter"), names(tmp));
    assertEquals(List.of("old"), Files.readAllLines(target.resolve("head.safetensors")));
  }

  /** A writer killed outright leaves its folder and lock file; the next write deletes both. */
  @Test
  void theNextWriteDeletesTheFolderOfAKilledWriter() throws Exception {
    Path target = oldFolder();
    Path[] staging = new Path[1];
    Process p = startWriter(target, staging);
    try {
      p.destroyForcibly(); // SIGKILL: no hook runs
      assertTrue(p.waitFor(HANG_SECONDS, TimeUnit.SECONDS));
    } finally {
      p.destroyForcibly();
    }
    String left = staging[0].getFileName().toString();
    assertEquals(".adapter.tmp-" + p.pid() + "-0", left);
    assertEquals(Set.of("adapter", left, left + ".lock"), names(tmp));
    assertEquals(List.of("old"), Files.readAllLines(target.resolve("head.safetensors")));

    AtomicFiles.writeFolder(target, d -> Files.writeString(d.resolve("head.safetensors"), "new"));
    assertEquals(Set.of("adapter"), names(tmp));
    assertEquals(List.of("new"), Files.readAllLines(target.resolve("head.safetensors")));
  }

  /**
   * A folder can still be written while the process shuts down (from a shutdown hook), although no
   * shutdown hook can be added for its staging folder then.
   */
  @Test
  void aFolderIsWrittenFromAShutdownHook() throws Exception {
    Path target = oldFolder();
    String out = run(HookWriter.class, target.toString());
    assertEquals("written\n", out);
    assertEquals(Set.of("adapter"), names(tmp));
    assertEquals(List.of("at shutdown"), Files.readAllLines(target.resolve("head.safetensors")));
  }
}
