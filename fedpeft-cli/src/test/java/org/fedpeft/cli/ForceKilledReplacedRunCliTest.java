package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.io.RunFolder;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code --force} run killed (SIGKILL) before it closed left the run it replaced in the hidden
 * sibling {@code .NAME.replaced-*}, and nothing ever said so. The next command on the folder
 * ({@code --resume} here) now names that folder on standard error and says what to do with it; it
 * is not deleted.
 */
@Timeout(600)
class ForceKilledReplacedRunCliTest {

  @TempDir Path tmp;

  private List<Path> replaced(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir.getParent())) {
      return s.filter(
              p -> p.getFileName().toString().startsWith("." + dir.getFileName() + ".replaced-"))
          .sorted()
          .toList();
    }
  }

  /**
   * QA: a --force run killed while it replaced the folder (after creating its fresh hidden sibling
   * {@code .NAME.new-*}, before renaming it into place) left that sibling unmentioned. The next
   * command on the folder names each: removed when it holds nothing but its empty lock file (or
   * nothing: killed before the lock file), kept when it holds anything else; another folder's are
   * not its own. Made by hand: replaceWhole has no pause point between its renames.
   */
  @Test
  void theFreshFolderOfAKilledForceRunIsNamedAndRemovedOnlyWhenEmpty() throws Exception {
    Path runs = Files.createDirectories(tmp.resolve("runs"));
    Path dir = runs.resolve("run");
    Path locked = Files.createDirectory(runs.resolve(".run.new-1a"));
    Files.createFile(locked.resolve(RunFolder.LOCK_FILE));
    Path bare = Files.createDirectory(runs.resolve(".run.new-2b"));
    Path kept = Files.createDirectory(runs.resolve(".run.new-3c"));
    Files.writeString(kept.resolve("notes.txt"), "the user's");
    Path other = Files.createDirectory(runs.resolve(".runs2.new-4d"));
    StringWriter err = new StringWriter();
    try (RunGuard g = RunGuard.newRun(dir, "train", false, new PrintWriter(err))) {
      assertTrue(Files.isDirectory(g.path()));
    }
    String said = err.toString();
    String created = " is the folder that an earlier --force run of " + dir;
    for (Path p : List.of(locked, bare)) {
      assertTrue(
          said.contains(
              "note: "
                  + p
                  + created
                  + " created to replace it and was killed before it could use; it held nothing,"
                  + " so it was removed"),
          said);
      assertFalse(Files.exists(p), p + " removed");
    }
    assertTrue(
        said.contains(
            "note: "
                + kept
                + created
                + " created to replace it and was killed before it could use; it holds files, so"
                + " it was kept: delete it if you do not need it"),
        said);
    assertEquals("the user's", Files.readString(kept.resolve("notes.txt")));
    assertFalse(said.contains(other.toString()), said);
    assertTrue(Files.isDirectory(other));
    assertEquals(3, said.lines().count(), said);
  }

  @Test
  void theReplacedRunOfAKilledForceRunIsNamedAndKept() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");
    Path dir = tmp.resolve("runs").resolve("run");
    CliRun.Result first = CliRun.run("simulate", config.toString(), "--out", dir.toString());
    assertEquals(0, first.code(), first.err());
    assertEquals(List.of(), replaced(dir));

    String point = "simulation-starting";
    try (Spawned child =
        Spawned.fedpeft(
            "simulate",
            Map.of(PausePoint.PROPERTY, point),
            List.of("simulate", config.toString(), "--out", dir.toString(), "--force"))) {
      child.awaitLine(PausePoint.message(point));
      child.kill();
    }
    List<Path> left = replaced(dir);
    assertEquals(1, left.size(), "the replaced run is left aside: " + left);
    assertTrue(Files.isRegularFile(left.get(0).resolve("summary.json")), "the first, finished run");

    CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "note: "
                    + left.get(0)
                    + " holds the run that an earlier --force run of "
                    + dir
                    + " replaced; that run was killed before it could delete it, so it was kept:"
                    + " delete it if you do not need it, or move it back to "
                    + dir
                    + " to recover it"),
        r.err());
    assertEquals(left, replaced(dir), "kept, not deleted");
  }
}
