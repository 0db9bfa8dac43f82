package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.io.RunFolder;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume} of a folder whose run never got past its start. A folder holding only a
 * hand-copied config.json (no lock file naming the command that started a run) was started as a run
 * killed while starting; it is now refused as holding no run, and left as it was. A server run
 * killed while starting (its lock file and config.json written) whose data.file is not on the
 * server got the data loader's message; its resume now makes the new run's check and says what a
 * server without the clients' data needs.
 */
@Timeout(300)
class ResumeNeverStartedCliTest {

  @TempDir Path tmp;

  @Test
  void aFolderWithOnlyAConfigJsonIsNotAStartedRun() throws Exception {
    Path config = CliRun.oneClientConfig(tmp);
    Path dir = Files.createDirectories(tmp.resolve("copied"));
    Files.writeString(dir.resolve("config.json"), SimulationConfig.load(config, Map.of()).toJson());
    for (String command : List.of("simulate", "server")) {
      CliRun.Result r =
          command.equals("simulate")
              ? CliRun.run("simulate", "--resume", dir.toString())
              : CliRun.run(
                  "server", "--resume", dir.toString(), "--insecure", "--listen", "127.0.0.1:0");
      assertEquals(2, r.code(), command + ": " + r.err());
      assertTrue(
          r.err()
              .contains(
                  dir
                      + " holds no fedpeft run to resume (it has config.json but no "
                      + RunFolder.LOCK_FILE),
          r.err());
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(
            List.of("config.json"), s.map(p -> p.getFileName().toString()).toList(), command);
      }
    }
  }

  @Test
  void aServerKilledWhileStartingWithoutItsDataFileGetsTheServersDataCheck() throws Exception {
    Path config = CliRun.oneClientConfig(tmp);
    String missing = tmp.resolve("moved-away.jsonl").toString();
    Path dir = Files.createDirectories(tmp.resolve("killed"));
    // What `server CONFIG --out DIR` leaves when killed at simulation-starting.
    Files.writeString(dir.resolve(RunFolder.LOCK_FILE), "{\"command\":\"server\"}\n");
    Files.writeString(
        dir.resolve("config.json"),
        SimulationConfig.load(config, Map.of("data.file", missing)).toJson());
    CliRun.Result r =
        CliRun.run("server", "--resume", dir.toString(), "--insecure", "--listen", "127.0.0.1:0");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("data.file = " + missing + ": no such file or folder on the server"),
        r.err());
  }
}
