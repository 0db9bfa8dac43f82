package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.fedpeft.data.Tasks;
import org.fedpeft.io.DeadWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft tasks export} leaves nothing behind when it fails or is interrupted, and cleans up
 * after an export that was killed outright.
 */
@Timeout(600) // a hang guard: a child process that never prints what is awaited fails the test
class TasksExportCleanupCliTest {

  private static final String POINT = "tasks-export-before-rename";

  @TempDir Path tmp;

  @AfterEach
  void killLeftoverChildren() {
    RunSafetyCliTest.Child.killLeftovers();
  }

  private static CliRun.Result export(Path out) {
    return CliRun.run(
        "tasks", "export", Tasks.VERB_FRAME, "--max-train", "3", "--out", out.toString());
  }

  private static RunSafetyCliTest.Child exportPaused(Path out) throws Exception {
    return RunSafetyCliTest.Child.startPaused(
        POINT, "tasks", "export", Tasks.VERB_FRAME, "--max-train", "3", "--out", out.toString());
  }

  /**
   * QA, 3 December: Ctrl-C while the export wrote left its temporary folder {@code .DIR.tmp-PID-K}
   * (and the parent folders it had created) behind. The shutdown hook deletes them.
   */
  @Test
  void ctrlCLeavesNoTemporaryFolderNorCreatedParents() throws Exception {
    Path out = tmp.resolve("new").resolve("deeper").resolve("out");
    RunSafetyCliTest.Child child = exportPaused(out);
    String tmpName = ".out.tmp-" + child.pid() + "-0";
    try {
      assertTrue(Files.exists(out.getParent().resolve(tmpName).resolve("train.jsonl")));
    } finally {
      child.interrupt();
    }
    String log = child.finish();
    assertEquals(RunSafetyCliTest.Child.interruptedExitCode(), child.exitCode(), log);
    assertFalse(Files.exists(tmp.resolve("new")), log);
    assertEquals(Set.of(), DeadWriter.names(tmp));
  }

  /**
   * An export killed outright (SIGKILL cannot be caught) leaves its temporary folder; the next
   * export to the same folder deletes it, says so, and succeeds.
   */
  @Test
  void theNextExportDeletesTheFolderOfAKilledOne() throws Exception {
    Path out = tmp.resolve("out");
    RunSafetyCliTest.Child child = exportPaused(out);
    long pid = child.pid();
    child.kill();
    Path left = tmp.resolve(".out.tmp-" + pid + "-0");
    assertTrue(Files.exists(left.resolve("train.jsonl")));
    assertTrue(Files.exists(tmp.resolve(left.getFileName() + ".lock")));

    CliRun.Result r = export(out);
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.err().contains("removed " + left + ", left by process " + pid + ", which did not finish"),
        r.err());
    assertEquals(Set.of("out"), DeadWriter.names(tmp));
    assertTrue(Files.exists(out.resolve("train.jsonl")));
  }

  /**
   * Only a leftover whose process is gone and whose lock is free is deleted: one of a live process
   * (init, process 1), one whose lock file does not yet name its process, and one without a lock
   * file (an older fedpeft's) stay; so do other exports' folders.
   */
  @Test
  void leftoversOfLiveProcessesAndUnknownOnesStay() throws Exception {
    Path dead = DeadWriter.plantStaging(tmp.resolve("out"), 3);
    Files.writeString(dead.resolve("train.jsonl"), "{}\n");
    long init =
        1; // a live process other than this one (this one's own: StagingFolderLeftoversTest)
    Path live = Files.createDirectory(tmp.resolve(".out.tmp-" + init + "-7"));
    Files.writeString(tmp.resolve(live.getFileName() + ".lock"), init + "\n");
    Path unnamed = Files.createDirectory(tmp.resolve(".out.tmp-" + DeadWriter.PID + "-4"));
    Files.createFile(tmp.resolve(unnamed.getFileName() + ".lock"));
    Path unlocked = Files.createDirectory(tmp.resolve(".out.tmp-" + DeadWriter.PID + "-5"));
    Path mismatched = Files.createDirectory(tmp.resolve(".out.tmp-" + DeadWriter.PID + "-6"));
    Files.writeString(tmp.resolve(mismatched.getFileName() + ".lock"), "123\n");
    Path other = DeadWriter.plantStaging(tmp.resolve("other"), 0);

    CliRun.Result r = export(tmp.resolve("out"));
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.err().contains("removed " + dead + ", left by process " + DeadWriter.PID), r.err());
    assertFalse(r.err().contains("removed " + live), r.err());
    assertEquals(
        Set.of(
            "out",
            live.getFileName().toString(),
            live.getFileName() + ".lock",
            unnamed.getFileName().toString(),
            unnamed.getFileName() + ".lock",
            unlocked.getFileName().toString(),
            mismatched.getFileName().toString(),
            mismatched.getFileName() + ".lock",
            other.getFileName().toString(),
            other.getFileName() + ".lock"),
        DeadWriter.names(tmp));
  }

  /** A name with glob characters finds its own leftovers, and only those. */
  @Test
  void leftoversOfANameWithGlobCharactersAreFound() throws Exception {
    DeadWriter.plantStaging(tmp.resolve("out[1]*"), 0);
    Path other = DeadWriter.plantStaging(tmp.resolve("out1x"), 0);
    CliRun.Result r = export(tmp.resolve("out[1]*"));
    assertEquals(0, r.code(), r.err());
    assertEquals(
        Set.of("out[1]*", other.getFileName().toString(), other.getFileName() + ".lock"),
        DeadWriter.names(tmp));
  }

  /**
   * QA, 3 December: an --out name longer than about 230 characters failed with "File name too long"
   * although the folder itself could be created: the temporary sibling's name added the suffix to
   * the whole name. It cuts the name first.
   */
  @Test
  void aLongOutNameIsExported() throws Exception {
    Path out = tmp.resolve("y".repeat(250));
    CliRun.Result r = export(out);
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.exists(out.resolve("train.jsonl")));
    assertEquals(Set.of(out.getFileName().toString()), DeadWriter.names(tmp));
  }

  /**
   * QA, 3 December: parent folders created for --out stayed behind when the export then failed.
   * Here the last step fails (a name longer than the file system allows, refused at the rename):
   * the temporary folder and every parent folder the export created are removed, and the message
   * names --out.
   */
  @Test
  void aFailureAfterCreatingParentFoldersRemovesThem() throws Exception {
    Path out = tmp.resolve("a").resolve("b").resolve("x".repeat(300));
    CliRun.Result r = export(out);
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("--out " + out + ": cannot rename the exported files into place ("),
        r.err());
    assertEquals(Set.of(), DeadWriter.names(tmp));
  }
}
