package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * QA, 3 December: {@code tasks export --out /sys/x} said "/sys/x: cannot create the output folder
 * (/sys/.x.tmp-PID-0.lock: permission denied)", naming its staging folder's hidden lock file; it
 * names only the folder given with --out, as train, certs and client --state word a refusal. Where
 * /sys does not refuse a new file with EACCES (not Linux), the test is skipped.
 */
class TasksExportRefusedParentCliTest {

  private static final Path TARGET = Path.of("/sys/fedpeft-qa-export");

  @Test
  void aRefusingParentIsReportedForTheOutputFolder() {
    Path probe = TARGET.resolveSibling("fedpeft-qa-probe");
    boolean eacces;
    try {
      Files.createFile(probe);
      Files.delete(probe);
      eacces = false;
    } catch (AccessDeniedException e) {
      eacces = true;
    } catch (IOException e) {
      eacces = false;
    }
    assumeTrue(eacces, "/sys does not refuse a new file with EACCES here");
    CliRun.Result r =
        CliRun.run(
            "tasks",
            "export",
            "wordnet-verb-frame",
            "--max-train",
            "3",
            "--out",
            TARGET.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft tasks export: "
            + TARGET
            + ": cannot create the output folder (permission denied); choose another --out",
        r.err().strip());
  }
}
