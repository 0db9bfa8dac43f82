package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedpeft.io.DeadWriter;
import org.fedpeft.io.IOConsumer;
import org.fedpeft.io.StagingFolder;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter folder is written through {@link StagingFolder} (by {@code AtomicFiles.writeFolder}):
 * a failed save keeps the old folder and leaves no sibling, and the leftovers of a writer that died
 * are deleted by the next save while a live writer's folder is never touched.
 */
class AdapterFilesInterruptedSaveTest {

  /** Only to detect a hang; every wait ends on an event long before. */
  private static final long HANG_SECONDS = 60;

  @TempDir Path tmp;

  private static void save(Path dir, String marker, IOConsumer<Path> more) throws IOException {
    AdapterFiles.save(
        dir,
        null,
        0,
        Map.of("head.weight", HostTensor.zeros(2, 4), "head.bias", HostTensor.zeros(2)),
        List.of("a", "b"),
        "base",
        new JsonObject(),
        folder -> {
          Files.writeString(folder.resolve("marker.txt"), marker);
          more.accept(folder);
        });
  }

  /** Every file under {@code dir} (relative name) with its content. */
  private static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isRegularFile).forEach(all::add);
    }
    for (Path p : all) {
      files.put(
          dir.relativize(p).toString(), Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
    }
    return files;
  }

  /** (a) A save that throws part-way keeps the previous folder byte for byte and leaves nothing. */
  @Test
  void aFailedSaveKeepsTheOldFolderAndLeavesNoSibling() throws Exception {
    Path adapter = tmp.resolve("adapter");
    save(adapter, "old", folder -> {});
    Map<String, String> before = contents(adapter);
    assertTrue(before.containsKey(AdapterFiles.CONFIG_FILE), before.keySet().toString());

    IOException e =
        assertThrows(
            IOException.class,
            () ->
                save(
                    adapter,
                    "new",
                    folder -> {
                      throw new IOException("No space left on device");
                    }));
    assertEquals("No space left on device", e.getMessage());
    assertEquals(before, contents(adapter));
    assertEquals(Set.of("adapter"), DeadWriter.names(tmp));

    RuntimeException r =
        assertThrows(
            IllegalStateException.class,
            () ->
                save(
                    adapter,
                    "new",
                    folder -> {
                      throw new IllegalStateException("a bug in a writer");
                    }));
    assertEquals("a bug in a writer", r.getMessage());
    assertEquals(before, contents(adapter));
    assertEquals(Set.of("adapter"), DeadWriter.names(tmp));
  }

  /** The leftover of a writer that died: staging folder, set-aside old folder and lock file. */
  private Path deadLeftover() throws IOException {
    Path dead = DeadWriter.plantStaging(tmp.resolve("adapter"), 0);
    Files.writeString(dead.resolve("head.safetensors"), "half");
    Files.createDirectory(tmp.resolve(dead.getFileName() + ".old"));
    return dead;
  }

  private static Set<String> with(Set<String> names, String... more) {
    Set<String> all = new TreeSet<>(names);
    all.addAll(List.of(more));
    return all;
  }

  /**
   * (b) Before, a save deleted every {@code .adapter.*.tmp} and {@code .old} sibling, whoever wrote
   * it: a second writer of the same folder broke the first one's save. Now the next save deletes
   * the staging folder (and set-aside old folder) of a process that died, and leaves alone both a
   * staging folder held through {@link StagingFolder} and the one of a save still in progress,
   * which then completes.
   */
  @Test
  void aDeadWritersLeftoverGoesAndALiveWritersStays() throws Exception {
    Path adapter = tmp.resolve("adapter");
    save(adapter, "first", folder -> {});
    Path dead = deadLeftover();
    List<String> notices = new ArrayList<>();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (StagingFolder held = StagingFolder.create(adapter, notices::add)) {
      assertEquals(
          List.of(
              "removed " + dead + ", left by process " + DeadWriter.PID + ", which did not finish"),
          notices);
      Files.writeString(held.path().resolve("partial"), "held");
      String heldName = held.path().getFileName().toString();
      Set<String> live = with(Set.of(), heldName, heldName + ".lock");
      assertEquals(with(live, "adapter"), DeadWriter.names(tmp));

      CountDownLatch writing = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Future<?> slow =
          pool.submit(
              () -> {
                save(
                    adapter,
                    "slow",
                    folder -> {
                      writing.countDown();
                      try {
                        assertTrue(release.await(HANG_SECONDS, TimeUnit.SECONDS));
                      } catch (InterruptedException e) {
                        throw new IOException(e);
                      }
                      Files.writeString(folder.resolve("late.txt"), "after the other save");
                    });
                return null;
              });
      assertTrue(writing.await(HANG_SECONDS, TimeUnit.SECONDS));
      live = DeadWriter.names(tmp); // the held staging and the slow save's, with their lock files
      live.remove("adapter");
      deadLeftover();

      save(adapter, "fast", folder -> {});
      assertEquals("fast", Files.readString(adapter.resolve("marker.txt")));
      assertEquals(
          with(live, "adapter"), DeadWriter.names(tmp)); // the dead writer's three are gone
      assertEquals("held", Files.readString(held.path().resolve("partial")));

      release.countDown();
      slow.get(HANG_SECONDS, TimeUnit.SECONDS);
      assertEquals("slow", Files.readString(adapter.resolve("marker.txt")));
      assertEquals("after the other save", Files.readString(adapter.resolve("late.txt")));
      assertEquals(with(Set.of(), "adapter", heldName, heldName + ".lock"), DeadWriter.names(tmp));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(Set.of("adapter"), DeadWriter.names(tmp));
  }
}
