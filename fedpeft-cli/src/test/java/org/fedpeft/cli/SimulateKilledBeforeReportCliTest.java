package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA (kill -9 and resume): a simulation killed after it wrote summary.json and before report.html,
 * its last file, was refused by --resume as a finished run, so its report.html was never written.
 * The resume now writes it, and changes nothing else.
 */
@Timeout(600)
class SimulateKilledBeforeReportCliTest {

  @TempDir Path tmp;

  @Test
  void aRunKilledBeforeItsReportGetsItOnResume() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");
    Path out = tmp.resolve("run");
    String point = "simulation-before-report";
    try (Spawned child =
        Spawned.fedpeft(
            "simulate",
            Map.of(PausePoint.PROPERTY, point),
            List.of("simulate", config.toString(), "--out", out.toString()))) {
      child.awaitLine(PausePoint.message(point));
      child.kill();
    }
    assertTrue(Files.exists(out.resolve("summary.json")));
    assertFalse(Files.exists(out.resolve("report.html")));
    List<String> files = KillResume.compared(out);
    Map<String, byte[]> before = new TreeMap<>();
    for (String f : files) {
      before.put(f, Files.readAllBytes(out.resolve(f)));
    }
    String summary = Files.readString(out.resolve("summary.json"));

    CliRun.Result r = CliRun.run("simulate", "--resume", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isRegularFile(out.resolve("report.html")), r.err());
    assertTrue(r.out().contains("report: " + out.resolve("report.html")), r.out());
    assertEquals(summary, Files.readString(out.resolve("summary.json")));
    assertEquals(files, KillResume.compared(out));
    for (String f : files) {
      assertEquals(-1L, Arrays.mismatch(before.get(f), Files.readAllBytes(out.resolve(f))), f);
    }

    // Now finished: a second resume is refused, as for any finished run.
    r = CliRun.run("simulate", "--resume", out.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("holds a finished run (summary.json)"), r.err());
  }
}
