package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * A simulation killed (SIGKILL) at {@code simulation-starting}, with config.json written and
 * manifest.json not yet: {@code --resume} refused it as having no manifest.json and said to start
 * it again with --force, although nothing was trained and config.json is the run's. The resume now
 * starts it again from config.json and ends with the files of the same run uninterrupted.
 */
@Timeout(600)
class SimulateKilledWhileStartingCliTest {

  @TempDir Path tmp;

  @Test
  void aRunKilledWhileStartingResumesAsTheRunUninterrupted() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");
    Path full = tmp.resolve("full");
    CliRun.Result first = CliRun.run("simulate", config.toString(), "--out", full.toString());
    assertEquals(0, first.code(), first.err());

    Path killed = tmp.resolve("killed");
    String point = "simulation-starting";
    try (Spawned child =
        Spawned.fedpeft(
            "simulate",
            Map.of(PausePoint.PROPERTY, point),
            List.of("simulate", config.toString(), "--out", killed.toString()))) {
      child.awaitLine(PausePoint.message(point));
      child.kill();
    }
    try (Stream<Path> s = Files.list(killed)) {
      assertEquals(
          List.of("config.json"),
          s.map(p -> p.getFileName().toString())
              .filter(n -> !n.equals(RunFolder.LOCK_FILE))
              .sorted()
              .toList(),
          "killed after config.json, before manifest.json");
    }
    String startedConfig = Files.readString(killed.resolve("config.json"));

    CliRun.Result r = CliRun.run("simulate", "--resume", killed.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("resuming " + killed + " after round 0"), r.err());
    assertEquals(startedConfig, Files.readString(killed.resolve("config.json")));
    assertTrue(Files.isRegularFile(killed.resolve("manifest.json")), r.err());
    assertTrue(Files.isRegularFile(killed.resolve("summary.json")), r.err());
    List<String> files = KillResume.compared(full);
    assertEquals(files, KillResume.compared(killed));
    for (String f : files) {
      assertEquals(-1L, Files.mismatch(full.resolve(f), killed.resolve(f)), f + " differs");
    }
  }

  /**
   * A folder without manifest.json that holds more than a start writes (a checkpoint): still
   * refused, naming manifest.json and saying to start the run again with --force.
   */
  @Test
  void aMissingManifestBesideACheckpointIsStillRefused() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");
    Path dir = tmp.resolve("run");
    CliRun.Result first = CliRun.run("simulate", config.toString(), "--out", dir.toString());
    assertEquals(0, first.code(), first.err());
    Files.delete(dir.resolve("summary.json"));
    Files.delete(dir.resolve("manifest.json"));
    CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                dir.resolve("manifest.json")
                    + ": missing; it records the config and data the run started with, which a"
                    + " resume must check, so this run cannot be resumed: start it again with"
                    + " --out "
                    + dir
                    + " --force"),
        r.err());
  }
}
