package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: a process killed between {@link StagingFolder#commitReplacing}'s two renames
 * leaves no target and the complete old folder under {@code .NAME.tmp-PID-K.old}. The next staging
 * for the target deleted that folder as a leftover before it wrote, so a write that then failed
 * left neither the old folder nor a new one. It now renames the old folder back first.
 */
class StagingFolderKilledBetweenRenamesTest {

  /** Only to detect a hang; every wait ends on an event long before. */
  private static final long HANG_SECONDS = 120;

  private static final String BETWEEN = "between the renames: ";

  @TempDir Path tmp;

  /**
   * Replaces the folder {@code args[0]} as {@link StagingFolder#commitReplacing} does, but holds
   * after its first rename (the old folder set aside under the {@code .old} name the class
   * describes) until the process is killed.
   */
  public static final class Replacer {
    private Replacer() {}

    public static void main(String[] args) throws IOException {
      Path target = Path.of(args[0]);
      try (StagingFolder staging = StagingFolder.create(target, n -> {})) {
        Files.writeString(staging.path().resolve("head.safetensors"), "new");
        staging.commit(
            staged -> {
              Path aside = staged.resolveSibling(staged.getFileName() + ".old");
              Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
              System.out.println(BETWEEN + staged);
              System.out.flush();
              CountDownLatch never = new CountDownLatch(1);
              while (true) {
                try {
                  never.await();
                } catch (InterruptedException e) {
                  // Held until the process is killed.
                }
              }
            });
      }
    }
  }

  /**
   * Writes {@code target} with "old", then kills (SIGKILL) a process replacing it between the two
   * renames; returns that process's staging folder, left beside its lock file and the old folder.
   */
  private static Path killBetweenTheRenames(Path target) throws Exception {
    AtomicFiles.writeFolder(target, d -> Files.writeString(d.resolve("head.safetensors"), "old"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            Replacer.class.getName(),
            target.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    Path staging = null;
    try {
      BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder log = new StringBuilder();
      String line;
      while (staging == null && (line = r.readLine()) != null) {
        log.append(line).append('\n');
        if (line.startsWith(BETWEEN)) {
          staging = Path.of(line.substring(BETWEEN.length()));
        }
      }
      assertTrue(staging != null, "the replacer never reached its first rename:\n" + log);
      p.destroyForcibly(); // SIGKILL: no hook runs
      assertTrue(p.waitFor(HANG_SECONDS, TimeUnit.SECONDS));
    } finally {
      p.destroyForcibly();
    }
    String left = staging.getFileName().toString();
    assertEquals(".adapter.tmp-" + p.pid() + "-0", left);
    assertEquals(Set.of(left, left + ".lock", left + ".old"), DeadWriter.names(target.getParent()));
    return staging;
  }

  @Test
  void aWriteThatFailsAfterTheKillLeavesTheOldFolder() throws Exception {
    Path target = tmp.resolve("adapter");
    killBetweenTheRenames(target);
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.writeFolder(
                    target,
                    d -> {
                      throw new IOException("the writer fails");
                    }));
    assertEquals("the writer fails", e.getMessage());
    assertEquals(Set.of("adapter"), DeadWriter.names(tmp));
    assertEquals(List.of("old"), Files.readAllLines(target.resolve("head.safetensors")));
  }

  @Test
  void aWriteThatSucceedsAfterTheKillLeavesTheNewFolderAndNoOldOne() throws Exception {
    Path target = tmp.resolve("adapter");
    killBetweenTheRenames(target);
    AtomicFiles.writeFolder(target, d -> Files.writeString(d.resolve("head.safetensors"), "newer"));
    assertEquals(Set.of("adapter"), DeadWriter.names(tmp));
    assertEquals(List.of("newer"), Files.readAllLines(target.resolve("head.safetensors")));
  }

  /** The notice consumer hears that the old folder was put back, and where from. */
  @Test
  void theOldFolderPutBackIsNamed() throws Exception {
    Path target = tmp.resolve("adapter");
    Path staging = killBetweenTheRenames(target);
    long pid = Long.parseLong(staging.getFileName().toString().split("-")[1]);
    List<String> notices = new ArrayList<>();
    StagingFolder.create(target, notices::add).close();
    assertEquals(List.of("old"), Files.readAllLines(target.resolve("head.safetensors")));
    assertEquals(
        List.of(
            "restored "
                + target
                + " from "
                + staging
                + ".old, where process "
                + pid
                + " had set it aside before it stopped",
            "removed " + staging + ", left by process " + pid + ", which did not finish"),
        notices);
    assertEquals(Set.of("adapter"), DeadWriter.names(tmp));
  }

  /**
   * A name over {@code AtomicFiles.siblingPrefix}'s limit is cut in its leftovers' names, so a
   * set-aside folder may be another target's: it is neither put back under this name nor deleted,
   * and the notice says where it is.
   */
  @Test
  void aSetAsideFolderOfACutNameIsKept() throws IOException {
    String longName = "a".repeat(200);
    Path target = tmp.resolve(longName);
    String left = DeadWriter.stagingName(target, 0);
    assertFalse(left.contains(longName), "the name is cut");
    Path aside = DeadWriter.plantSetAside(target, "head.safetensors", "someone's old folder");
    Path dead = tmp.resolve(left);
    List<String> notices = new ArrayList<>();
    AtomicFiles.writeFolder(target, d -> Files.writeString(d.resolve("head.safetensors"), "new"));
    StagingFolder.create(target, notices::add).close();
    assertEquals(
        List.of(
            "kept "
                + aside
                + ", a folder set aside by process "
                + DeadWriter.PID
                + ", which did not finish replacing it: its name may be a longer name's, cut, so"
                + " which folder it was is not known"),
        notices);
    assertEquals(Set.of(longName, left, left + ".lock", left + ".old"), DeadWriter.names(tmp));
    assertTrue(Files.exists(dead));
    assertEquals(
        List.of("someone's old folder"), Files.readAllLines(aside.resolve("head.safetensors")));
  }
}
