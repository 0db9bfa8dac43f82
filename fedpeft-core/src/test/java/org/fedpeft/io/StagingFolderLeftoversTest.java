package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which leftovers beside a target {@link StagingFolder} (and so {@code writeFolder}) deletes. */
class StagingFolderLeftoversTest {

  @TempDir Path tmp;

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /**
   * The folders of older fedpeft versions ({@code .NAME.<hex>.tmp}, {@code .NAME.<hex>.old}) go, as
   * those versions deleted them; other hidden siblings that merely start with {@code .NAME.} and
   * end in {@code .tmp} or {@code .old} stay (before, every such folder was deleted), as does a
   * set-aside folder whose lock file is missing, and a file of that form (an atomic file write's).
   */
  @Test
  void siblingsThatOnlyLookLikeLeftoversStay() throws IOException {
    Files.createDirectories(tmp.resolve(".adapter.1a2b.tmp").resolve("sub"));
    Files.createDirectory(tmp.resolve(".adapter.ff.old"));
    Files.createDirectory(tmp.resolve(".adapter.mine.tmp"));
    Files.createDirectory(tmp.resolve(".adapter.tmp-" + DeadWriter.PID + "-0.old"));
    Files.writeString(tmp.resolve(".adapter.12.tmp"), "a file");
    AtomicFiles.writeFolder(tmp.resolve("adapter"), d -> Files.writeString(d.resolve("f"), "x"));
    assertEquals(
        List.of(
            ".adapter.12.tmp",
            ".adapter.mine.tmp",
            ".adapter.tmp-" + DeadWriter.PID + "-0.old",
            "adapter"),
        names(tmp));
  }

  /**
   * Each leftover deleted is named to the notice consumer. (The target exists: else the set-aside
   * old folder would be put back, see {@code StagingFolderKilledBetweenRenamesTest}.)
   */
  @Test
  void eachDeletedLeftoverIsNamed() throws IOException {
    Files.createDirectory(tmp.resolve("out"));
    Path older = Files.createDirectory(tmp.resolve(".out.abc.tmp"));
    Path dead = DeadWriter.plantStaging(tmp.resolve("out"), 2);
    Files.createDirectory(tmp.resolve(dead.getFileName() + ".old"));
    List<String> notices = new ArrayList<>();
    try (StagingFolder s = StagingFolder.create(tmp.resolve("out"), notices::add)) {
      assertEquals(
          List.of(s.path().getFileName().toString(), s.path().getFileName() + ".lock", "out"),
          names(tmp));
    }
    assertEquals(
        List.of(
            "removed " + older + ", left by a folder write that did not finish",
            "removed " + dead + ", left by process " + DeadWriter.PID + ", which did not finish"),
        notices);
    assertEquals(List.of("out"), names(tmp));
  }

  /**
   * A leftover named with this process's own id, on a lock file this process does not hold, was
   * left by an earlier process under the same id (in a container every run may get the same one):
   * it goes; the folder of a staging this process holds stays. Before, a leftover of the running
   * process's id was never deleted, so such leftovers piled up.
   */
  @Test
  void aLeftoverUnderThisProcesssOwnIdGoesUnlessThisProcessHoldsIt() throws IOException {
    long self = ProcessHandle.current().pid();
    Path earlier = Files.createDirectory(tmp.resolve(".out.tmp-" + self + "-7"));
    Files.writeString(earlier.resolveSibling(earlier.getFileName() + ".lock"), self + "\n");
    try (StagingFolder live = StagingFolder.create(tmp.resolve("out"), n -> {})) {
      List<String> notices = new ArrayList<>();
      AtomicFiles.writeFolder(tmp.resolve("out"), d -> Files.writeString(d.resolve("f"), "x"));
      try (StagingFolder second = StagingFolder.create(tmp.resolve("out"), notices::add)) {
        assertEquals(
            List.of(
                live.path().getFileName().toString(),
                live.path().getFileName() + ".lock",
                second.path().getFileName().toString(),
                second.path().getFileName() + ".lock",
                "out"),
            names(tmp));
      }
      assertEquals(List.of(), notices); // the earlier leftover went with writeFolder, silently
    }
    assertEquals(List.of("out"), names(tmp));
  }
}
