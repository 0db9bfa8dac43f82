package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.privacy.RdpAccountant;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code (from the checkpoint)} mark of {@code simulate}'s bar for a client-level DP run that
 * its privacy budget stops after round 2 of 4, with {@code client.parallel = 2}, killed at each
 * pause point of round 2 and resumed: exactly the round the resume releases again is marked (round
 * 2 when killed after its metrics line, round 1 when killed before round 2's checkpoint, round 2
 * then trained again unmarked), and the run stops at the budget as an uninterrupted one.
 */
@Timeout(300)
class ResumeMarkCliTest {

  @TempDir Path tmp;

  private final long interval = ProgressBar.lineIntervalNanos;

  @AfterEach
  void restoreInterval() {
    ProgressBar.lineIntervalNanos = interval;
  }

  private Path config() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    Path data = tmp.resolve("data.jsonl");
    CliRun.fourTopics(data, 48);
    double two = new RdpAccountant().step(1.0, 2.0, 2).getEpsilon(1e-5);
    double three = new RdpAccountant().step(1.0, 2.0, 3).getEpsilon(1e-5);
    return Files.writeString(
        tmp.resolve("run.toml"),
        """
        seed = 5
        rounds = 4
        clients = 4
        clients_per_round = 2

        [data]
        file = "%s"
        max_eval = 16

        [model]
        name = "%s"

        [adapter]
        rank = 2
        targets = ["query", "value"]

        [client]
        local_steps = 1
        batch_size = 4
        parallel = 2

        [privacy]
        mode = "client"
        noise = "seeded"
        epsilon = %s
        client.noise_multiplier = 2.0
        client.clip_norm = 0.5
        """
            .formatted(
                data.toString().replace("\\", "\\\\"),
                model.toString().replace("\\", "\\\\"),
                (two + three) / 2));
  }

  @Test
  void onlyTheRoundReleasedAgainIsMarkedInABudgetStoppedParallelRun() throws Exception {
    Path config = config();
    ProgressBar.lineIntervalNanos = 0; // a line at every update
    for (String point : List.of("round-2-after-metrics", "round-2-before-checkpoint")) {
      Path dir = tmp.resolve(point);
      try (Spawned s =
          Spawned.fedpeft(
              "simulate",
              Map.of(PausePoint.PROPERTY, point),
              List.of("simulate", config.toString(), "--out", dir.toString()))) {
        s.awaitLine(PausePoint.message(point));
        s.kill();
      }
      CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
      assertEquals(0, r.code(), r.err());
      int checkpointed = point.endsWith("after-metrics") ? 2 : 1;
      assertTrue(r.err().contains("resuming " + dir + " after round " + checkpointed), r.err());
      assertTrue(r.err().contains("stopping early: privacy budget exceeded"), r.err());
      List<String> marked =
          r.err()
              .lines()
              .filter(l -> l.startsWith("rounds [") && l.contains("(from the checkpoint)"))
              .toList();
      assertEquals(1, marked.size(), r.err());
      assertTrue(marked.get(0).contains("] " + checkpointed + "/4 clients 2/2 "), marked.get(0));
      assertEquals(
          2, JsonFiles.readObject(dir.resolve("summary.json")).get("rounds").getAsInt(), r.err());
    }
  }
}
