package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedpeft tasks export} as a user runs it: refused output folders. */
class TasksCommandUserTest {

  @TempDir Path tmp;

  /**
   * QA, 3 December: an empty --out was taken as the current folder and refused as "--out is a
   * folder that is not empty"; it gets train's message.
   */
  @Test
  void anEmptyOutIsRefusedAsTrainRefusesIt() {
    CliRun.Result r = CliRun.run("tasks", "export", "wordnet-verb-frame", "--out", "");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--out is empty: give a folder name"), r.err());
  }

  /**
   * QA, 3 December: an --out under a file said "... (java.nio.file.FileAlreadyExistsException: F:
   * already exists and is in the way)", a Java class name; it says what is wrong with the path, as
   * other commands do, and leaves nothing behind.
   */
  @Test
  void anOutUnderAFileSaysWhatIsInTheWay() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    CliRun.Result r =
        CliRun.run(
            "tasks",
            "export",
            "wordnet-verb-frame",
            "--max-train",
            "3",
            "--out",
            file.resolve("x").toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft tasks export: "
            + file.resolve("x")
            + ": cannot create the output folder ("
            + file
            + ": already exists and is in the way); choose another --out",
        r.err().strip());
    assertFalse(r.err().contains("java."), r.err());
    try (var entries = Files.list(tmp)) {
      assertEquals(1, entries.count(), "only the file");
    }
  }
}
