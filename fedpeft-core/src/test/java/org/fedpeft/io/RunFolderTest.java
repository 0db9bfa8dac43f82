package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 15, "data loss and mixing": who may write into a run folder. */
class RunFolderTest {

  @TempDir Path tmp;

  /**
   * Issue 15: "two with the default --out started in the same second" shared one folder. Default
   * names carry milliseconds and the pid, and a taken name gets a suffix: never the same folder.
   */
  @Test
  void defaultFoldersStartedAtTheSameTimeNeverCollide() throws Exception {
    try (RunFolder a = RunFolder.createDefault(tmp, "simulate");
        RunFolder b = RunFolder.createDefault(tmp, "simulate");
        RunFolder c = RunFolder.createDefault(tmp, "simulate")) {
      assertNotEquals(a.path(), b.path());
      assertNotEquals(b.path(), c.path());
      assertNotEquals(a.path(), c.path());
      assertTrue(
          a.path().getFileName().toString().contains("-p" + ProcessHandle.current().pid()),
          a.path().toString());
    }
  }

  /** Issue 15: "two simulate runs with the same --out both exit 0" (here: twice in one process). */
  @Test
  void aFolderHeldByARunIsRefusedToASecondOne() throws Exception {
    Path dir = tmp.resolve("run");
    try (RunFolder first = RunFolder.createNew(dir, "simulate", false)) {
      assertEquals(dir, first.path());
      RunFolderException e =
          assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "simulate", true));
      assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("in use"));
      assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "simulate"));
    }
    // Released: it can be taken again (it holds nothing yet).
    RunFolder.createNew(dir, "simulate", false).close();
  }

  /**
   * Issue 15: "simulate --out onto a train output folder silently overwrote the trained adapter".
   * Another command's folder is refused; with force it is replaced whole, nothing of it remains.
   */
  @Test
  void anotherCommandsFolderIsRefusedAndWithForceReplacedWhole() throws Exception {
    Path dir = tmp.resolve("trained");
    RunFolder train = RunFolder.createNew(dir, "train", false);
    Files.createDirectories(train.path().resolve("adapter"));
    Files.writeString(train.path().resolve("adapter/head.safetensors"), "trained head");
    train.close();
    RunFolderException e =
        assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "simulate", false));
    assertTrue(e.getMessage().contains("fedpeft train") && e.getMessage().contains("--force"));
    e = assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "train", false));
    assertTrue(e.getMessage().contains("--resume"), e.getMessage());
    assertEquals("trained head", Files.readString(dir.resolve("adapter/head.safetensors")));
    try (RunFolder f = RunFolder.createNew(dir, "simulate", true)) {
      assertEquals(List.of(RunFolder.LOCK_FILE), list(f.path()));
      assertEquals("simulate", RunFolder.ownerOf(f.path()));
    }
    assertEquals(List.of("trained"), list(tmp), "no leftover of the replaced folder");
  }

  /**
   * Journey 5: a folder holding this command's run named a bare {@code fedpeft} in its hint (not
   * the launcher the user ran, {@code ./fedpeft}), and advised {@code --resume} also for a finished
   * run, which resume refuses. The hint names the command as run, and a finished run gets none.
   */
  @Test
  void aFolderOfThisCommandsRunNamesTheCommandAsRunAndNoResumeOnceFinished() throws Exception {
    Path dir = tmp.resolve("my run");
    RunFolder.createNew(dir, "train", false).close();
    Files.writeString(dir.resolve("train.json"), "{}");
    SystemProperties.Restore name = SystemProperties.set(CommandName.PROPERTY, "./fedpeft");
    try {
      RunFolderException e =
          assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "train", false));
      assertEquals(
          dir
              + " already holds a `fedpeft train` run; continue it with ./fedpeft train --resume '"
              + dir
              + "', replace it with --force, or choose another folder",
          e.getMessage());
      e = assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "simulate"));
      assertTrue(e.getMessage().endsWith("resume it with ./fedpeft train --resume '" + dir + "'"));
      Files.writeString(dir.resolve("summary.json"), "{\"command\": \"train\"}");
      e = assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "train", false));
      assertEquals(
          dir
              + " already holds a `fedpeft train` run, a finished one (summary.json): nothing to"
              + " continue; replace it with --force, or choose another folder",
          e.getMessage());
    } finally {
      name.close();
    }
  }

  /** A non-empty folder of the user's own files is refused, even with force. */
  @Test
  void aFolderOfOtherFilesIsNeverTaken() throws Exception {
    Path dir = tmp.resolve("mine");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("notes.txt"), "keep me");
    for (boolean force : new boolean[] {false, true}) {
      RunFolderException e =
          assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "train", force));
      assertTrue(e.getMessage().contains("notes.txt"), e.getMessage());
    }
    assertEquals("keep me", Files.readString(dir.resolve("notes.txt")));
    assertEquals(List.of("notes.txt"), list(dir), "no lock file left in the user's folder");
  }

  /** Issue 15: "--out is a file" gave a bare path; "--out ''" wrote into the current folder. */
  @Test
  void aFileOrAnEmptyPathIsRefusedWithAClearMessage() throws Exception {
    Path file = tmp.resolve("a-file");
    Files.writeString(file, "x");
    RunFolderException e =
        assertThrows(RunFolderException.class, () -> RunFolder.createNew(file, "train", false));
    assertTrue(e.getMessage().contains("is a file, not a folder"), e.getMessage());
    e =
        assertThrows(
            RunFolderException.class, () -> RunFolder.createNew(Path.of(""), "train", false));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  /** QA, 2 December: an output folder that cannot be created exited 1 with a bare OS message. */
  @Test
  void aFolderThatCannotBeCreatedIsAClearRefusal() {
    Path proc = Path.of("/proc");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(proc.resolve("self")), "needs Linux's /proc, which refuses new folders");
    Path dir = proc.resolve("fedpeft-test-" + ProcessHandle.current().pid()).resolve("run");
    RunFolderException e =
        assertThrows(RunFolderException.class, () -> RunFolder.createNew(dir, "train", false));
    assertTrue(
        e.getMessage().startsWith(dir + ": cannot create the output folder ("), e.getMessage());
    assertTrue(e.getMessage().endsWith("choose another --out"), e.getMessage());
  }

  /** A folder that a run created and abandoned (it failed before starting) is removed whole. */
  @Test
  void aFolderOfAnAbandonedRunIsRemoved() throws Exception {
    Path dir = tmp.resolve("failed");
    RunFolder.createNew(dir, "train", false).abandon();
    assertFalse(Files.exists(dir));
    RunFolder f = RunFolder.createNew(dir, "train", false);
    Files.writeString(f.path().resolve("train.json"), "{}");
    Files.createDirectories(f.path().resolve("adapter"));
    Files.writeString(f.path().resolve("adapter/x"), "x");
    f.abandon();
    assertFalse(Files.exists(dir));
  }

  /**
   * CI, 3 December: the lock file's "started" was Instant.toString(), whose width depends on the
   * clock (trailing zero digits dropped), so a refused --resume, which rewrites the owner, changed
   * the lock file's size now and then, and the "changes nothing" tests compared sizes. It is always
   * the same width now.
   */
  @Test
  void theLockFileRecordsItsStartInAFixedWidth() throws Exception {
    assertEquals(
        "2026-12-03T14:50:12.000Z",
        RunFolder.STARTED.format(Instant.parse("2026-12-03T14:50:12Z")));
    assertEquals(
        "2026-12-03T14:50:12.120Z",
        RunFolder.STARTED.format(Instant.parse("2026-12-03T14:50:12.120456Z")));
    Path dir = tmp.resolve("stamped");
    try (RunFolder f = RunFolder.createNew(dir, "train", false)) {
      String lock = Files.readString(f.path().resolve(RunFolder.LOCK_FILE));
      assertTrue(
          lock.matches(
              "(?s).*\"started\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\".*"),
          lock);
    }
  }

  /**
   * QA, 3 December: a run whose --out named missing parent folders created them, and abandoning it
   * removed only the run's own folder. The parents it created go too while they are empty; a parent
   * that existed, or one that another writer filled meanwhile, stays.
   */
  @Test
  void anAbandonedRunRemovesTheParentFoldersItCreated() throws Exception {
    Path dir = tmp.resolve("new").resolve("sub").resolve("run");
    RunFolder.createNew(dir, "train", false).abandon();
    assertFalse(Files.exists(tmp.resolve("new")));

    Files.createDirectories(tmp.resolve("kept"));
    RunFolder.createNew(tmp.resolve("kept").resolve("a").resolve("run"), "train", false).abandon();
    assertTrue(Files.isDirectory(tmp.resolve("kept")));
    assertFalse(Files.exists(tmp.resolve("kept").resolve("a")));

    RunFolder f = RunFolder.createNew(tmp.resolve("x").resolve("y").resolve("run"), "train", false);
    Files.writeString(tmp.resolve("x").resolve("other.txt"), "someone else's");
    f.abandon();
    assertFalse(Files.exists(tmp.resolve("x").resolve("y")));
    assertTrue(Files.exists(tmp.resolve("x").resolve("other.txt")));
  }

  /**
   * QA, 2 December: "--force with bad input deletes the previous finished run", and a run that
   * failed on its input left train.json behind, so the folder refused the corrected command. An
   * empty folder given by the user is emptied again (lock file included); a replaced run comes back
   * whole; a resumed run's files stay.
   */
  @Test
  void abandoningLeavesTheFolderAsItWasFound() throws Exception {
    Path empty = tmp.resolve("empty");
    Files.createDirectories(empty);
    RunFolder f = RunFolder.createNew(empty, "train", false);
    Files.writeString(f.path().resolve("train.json"), "{}");
    f.abandon();
    assertEquals(List.of(), list(empty));
    RunFolder.createNew(empty, "train", false).close(); // not stuck: taken again

    Path dir = tmp.resolve("finished");
    try (RunFolder train = RunFolder.createNew(dir, "train", false)) {
      Files.writeString(train.path().resolve("summary.json"), "finished");
    }
    RunFolder forced = RunFolder.createNew(dir, "train", true);
    assertEquals(List.of(RunFolder.LOCK_FILE), list(dir));
    assertTrue(Files.isDirectory(forced.replacedRun()));
    Files.writeString(forced.path().resolve("train.json"), "{}");
    forced.abandon();
    assertEquals(List.of(RunFolder.LOCK_FILE, "summary.json"), list(dir));
    assertEquals("finished", Files.readString(dir.resolve("summary.json")));
    assertEquals("train", RunFolder.ownerOf(dir));
    assertEquals(List.of("empty", "finished"), list(tmp), "no leftover sibling");

    RunFolder resumed = RunFolder.reopen(dir, "train");
    resumed.abandon();
    assertEquals(List.of(RunFolder.LOCK_FILE, "summary.json"), list(dir));
  }

  /**
   * User audit: simulate --resume of a finished train run's folder advised "resume it with fedpeft
   * train --resume DIR", which train then refused as finished. The advice is given only for an
   * unfinished run (no summary.json).
   */
  @Test
  void resumingAnotherCommandsRunAdvisesItsCommandOnlyIfUnfinished() throws Exception {
    Path dir = tmp.resolve("trained");
    RunFolder.createNew(dir, "train", false).close();
    RunFolderException e =
        assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "simulate"));
    assertEquals(
        dir
            + " holds the output of `fedpeft train`, not of `fedpeft simulate`: resume it with"
            + " fedpeft train --resume "
            + dir,
        e.getMessage());
    Files.writeString(dir.resolve("summary.json"), "{\"command\": \"train\"}");
    e = assertThrows(RunFolderException.class, () -> RunFolder.reopen(dir, "simulate"));
    assertEquals(
        dir
            + " holds the output of `fedpeft train`, not of `fedpeft simulate`, a finished train"
            + " run (summary.json): nothing to resume",
        e.getMessage());
  }

  /**
   * QA: the hidden siblings of a folder whose name starts with this one's ({@code run.new-1f} and
   * {@code run.replaced-1f} beside {@code run}) started with this one's prefixes, so the next
   * command on {@code run} named them as its own: it removed the empty fresh folder of {@code
   * run.new-1f} (also the one a --force run of {@code run.new-1f} has just created and not yet
   * locked, failing that run), a user's empty {@code .run.new-backup}, and named {@code
   * run.replaced-1f}'s replaced run as one of {@code run}'s. Only {@code .run.new-<hex>} and {@code
   * .run.replaced-<hex>} are {@code run}'s.
   */
  @Test
  void onlyThisFoldersOwnHiddenSiblingsAreNamedOrRemoved() throws Exception {
    Path runs = Files.createDirectories(tmp.resolve("runs")).toAbsolutePath().normalize();
    List<Path> others = new ArrayList<>();
    for (String name :
        List.of(".run.new-1f.new-2b", ".run.replaced-1f.replaced-2b", ".run.new-backup")) {
      others.add(Files.createDirectory(runs.resolve(name)));
    }
    Path fresh = Files.createDirectory(runs.resolve(".run.new-3c"));
    Path replaced = Files.createDirectory(runs.resolve(".run.replaced-3c"));
    Files.writeString(replaced.resolve("summary.json"), "{}");
    try (RunFolder f = RunFolder.createNew(runs.resolve("run"), "train", false)) {
      assertEquals(Map.of(fresh, true), f.clearLeftoverStaging());
      assertEquals(List.of(replaced), f.leftoverReplacedRuns());
    }
    assertFalse(Files.exists(fresh));
    for (Path p : others) {
      assertTrue(Files.isDirectory(p), p + " kept");
    }
  }

  /**
   * Audit, leftovers: a --force run whose owner record could not be written once it had replaced
   * the old run (a full disk) kept the new folder's lock and its channel, left the folder marked as
   * held by this process and the old run in {@code .NAME.replaced-*}; like a run abandoned before
   * it started, it now puts the old run back and holds nothing.
   */
  @Test
  void aReplacementWhoseOwnerRecordCannotBeWrittenPutsTheOldRunBack() throws Exception {
    Path parent = Files.createDirectories(tmp.resolve("owner-write-fails"));
    Path dir = parent.resolve("run");
    try (RunFolder train = RunFolder.createNew(dir, "train", false)) {
      Files.writeString(train.path().resolve("summary.json"), "finished");
    }
    byte[] owner = Files.readAllBytes(dir.resolve(RunFolder.LOCK_FILE));
    RunFolder.replacementOwnerFailure = new java.io.IOException("No space left on device");
    try {
      java.io.IOException e =
          assertThrows(java.io.IOException.class, () -> RunFolder.createNew(dir, "train", true));
      assertEquals("No space left on device", e.getMessage());
    } finally {
      RunFolder.replacementOwnerFailure = null;
    }
    assertOldRunBack(parent, dir, owner);
  }

  /**
   * QA, 5 December: a --force run that failed after renaming the old run aside (renaming its fresh
   * folder into place, releasing the old folder's lock, resolving the folder's real path) left the
   * old run in {@code .NAME.replaced-*} (and, past the first step, the fresh folder under the run's
   * name, still locked by this process). Each now puts the old run back under its name, holds
   * nothing and leaves no hidden sibling; the step's failure is thrown as it was. Fails on the old
   * code. A failure of the rename aside itself ({@code aside}) left the old run in place but the
   * empty {@code .NAME.new-*} folder beside it, until the next command cleared it; it is now
   * removed at once (fails on the code before that).
   */
  @ParameterizedTest
  @ValueSource(strings = {"aside", "move", "release", "key"})
  void aReplacementThatFailsAfterTheOldRunIsAsidePutsItBack(String step) throws Exception {
    Path parent = Files.createDirectories(tmp.resolve("fails-at-" + step));
    Path dir = parent.resolve("run");
    try (RunFolder train = RunFolder.createNew(dir, "train", false)) {
      Files.writeString(train.path().resolve("summary.json"), "finished");
    }
    byte[] owner = Files.readAllBytes(dir.resolve(RunFolder.LOCK_FILE));
    java.io.IOException failure =
        new java.nio.file.FileSystemException(dir.toString(), null, step + " refused");
    RunFolder.replacementStepFailure = s -> s.equals(step) ? failure : null;
    try {
      java.io.IOException e =
          assertThrows(java.io.IOException.class, () -> RunFolder.createNew(dir, "simulate", true));
      assertEquals(failure, e);
    } finally {
      RunFolder.replacementStepFailure = null;
    }
    assertOldRunBack(parent, dir, owner);
    // and --force replaces it once the step succeeds
    try (RunFolder again = RunFolder.createNew(dir, "simulate", true)) {
      assertEquals(List.of(RunFolder.LOCK_FILE), list(dir));
      assertTrue(again.replacedRun() != null);
      assertEquals(List.of(), again.leftoverReplacedRuns());
    }
    assertEquals(List.of("run"), list(parent));
  }

  /**
   * The one case that cannot be restored: the file system refuses to rename the old run back as
   * well. The error then says both failures and where the old run is, intact, and how to recover
   * it; this process holds nothing.
   */
  @Test
  void aReplacedRunThatCannotBePutBackIsNamedWhereItIs() throws Exception {
    Path parent = Files.createDirectories(tmp.resolve("cannot-put-back"));
    Path dir = parent.resolve("run");
    try (RunFolder train = RunFolder.createNew(dir, "train", false)) {
      Files.writeString(train.path().resolve("summary.json"), "finished");
    }
    RunFolder.replacementStepFailure =
        s ->
            s.equals("move") || s.equals("back")
                ? new java.nio.file.FileSystemException(s + " refused")
                : null;
    java.io.IOException e;
    try {
      e = assertThrows(java.io.IOException.class, () -> RunFolder.createNew(dir, "simulate", true));
    } finally {
      RunFolder.replacementStepFailure = null;
    }
    List<String> left = list(parent);
    assertEquals(2, left.size(), left.toString()); // the old run aside, the empty fresh folder
    Path aside = parent.resolve(left.get(1));
    assertTrue(left.get(1).startsWith(".run.replaced-"), left.toString());
    assertEquals(
        "replacing "
            + dir.toAbsolutePath()
            + " failed (move refused), and the run "
            + dir.toAbsolutePath()
            + " held could not be put back (back refused): it is in "
            + aside.toAbsolutePath()
            + "; move it back to "
            + dir.toAbsolutePath()
            + " to recover it",
        e.getMessage());
    assertEquals("finished", Files.readString(aside.resolve("summary.json")));
    Files.move(aside, dir);
    RunFolder.reopen(dir, "train").close(); // not held by this process any more
  }

  private static List<String> list(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /**
   * The finished run of {@code dir} (its summary.json "finished", its owner record {@code owner})
   * is back under its name, nothing else in {@code parent}, and no process holds it.
   */
  private static void assertOldRunBack(Path parent, Path dir, byte[] owner) throws Exception {
    assertEquals(List.of("run"), list(parent), "no hidden sibling left");
    assertEquals(List.of(RunFolder.LOCK_FILE, "summary.json"), list(dir));
    assertEquals("finished", Files.readString(dir.resolve("summary.json")));
    assertEquals(
        new String(owner, java.nio.charset.StandardCharsets.UTF_8),
        Files.readString(dir.resolve(RunFolder.LOCK_FILE)));
    RunFolder.reopen(dir, "train").close(); // not held by this process any more
  }
}
