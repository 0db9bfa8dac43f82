package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.fedpeft.io.DeadWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed between the two renames of a folder replacement leaves the target missing and
 * the old folder set aside; the next staging for that name puts it back. {@code tasks export}
 * checked {@code --out} only before that, so it exported the whole task and then failed with "--out
 * ... appeared while exporting". It refuses before writing, naming the restored folder.
 */
class TasksExportRestoredTargetCliTest {

  @TempDir Path tmp;

  @Test
  void aFolderPutBackForTheTargetIsRefusedBeforeAnythingIsWritten() throws IOException {
    Path target = tmp.resolve("export");
    DeadWriter.plantSetAside(target, "train.jsonl", "{\"text\": \"kept\", \"label\": \"a\"}\n");

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
    assertEquals(Set.of("export"), DeadWriter.names(tmp));
  }
}
