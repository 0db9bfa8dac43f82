package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fedpeft.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed between the two renames of a folder replacement leaves the target missing and
 * the old folder set aside; the next staging for that name puts it back. {@code tasks export}
 * checked {@code --out} only before that, so it exported the whole task and then failed with "--out
 * ... appeared while exporting". It refuses before writing, naming the restored folder.
 */
class TasksExportRestoredTargetCliTest {

  /** A process id no system gives out (above every pid_max). */
  private static final long DEAD_PID = Integer.MAX_VALUE;

  @TempDir Path tmp;

  @Test
  void aFolderPutBackForTheTargetIsRefusedBeforeAnythingIsWritten() throws IOException {
    Path target = tmp.resolve("export");
    String left = AtomicFiles.siblingPrefix(target.getFileName()) + "tmp-" + DEAD_PID + "-0";
    Files.createDirectory(tmp.resolve(left));
    Path aside = Files.createDirectory(tmp.resolve(left + ".old"));
    Files.writeString(aside.resolve("train.jsonl"), "{\"text\": \"kept\", \"label\": \"a\"}\n");
    Files.writeString(tmp.resolve(left + ".lock"), DEAD_PID + "\n");

    CliRun.Result r =
        CliRun.run(
            "tasks",
            "export",
            "wordnet-verb-frame",
            "--max-train",
            "3",
            "--out",
            target.toString());

    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("restored " + target), r.err());
    assertTrue(
        r.err().contains("--out " + target + " is a folder that is not empty; give a new folder"),
        r.err());
    assertTrue(!r.err().contains("appeared while exporting"), r.err());
    assertEquals(
        "{\"text\": \"kept\", \"label\": \"a\"}\n",
        Files.readString(target.resolve("train.jsonl")));
    assertEquals(Set.of("export"), names(tmp));
  }

  private static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }
}
