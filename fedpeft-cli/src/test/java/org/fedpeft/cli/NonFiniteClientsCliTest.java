package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients whose local training diverges (a NaN or infinite loss, as a learning rate far too high
 * gives). A client that diverges fails its update (kind ERROR, "training diverged: ..."); when
 * every client of a round does, the round fails and the run stops (exit 2) naming the cause, which
 * the reproduction scripts look for (common.sh's run_failed records the run as diverged). When only
 * some do, the round goes on without them: QA, 4 December: the console then showed only "clients
 * 1/2" in the progress bar and summary.json had no count, so a run half of whose clients diverged
 * looked like a normal one. Now each such round prints a line naming a failed client's reason, and
 * summary.json counts the failures ({@code client_fit_failures}).
 */
@Timeout(300) // only to detect a hang
class NonFiniteClientsCliTest {

  @TempDir Path tmp;

  @Test
  void aRoundWhoseEveryClientDivergesFailsNamingTheCause() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 2, 1);
    Path out = tmp.resolve("run");
    CliRun.Result r =
        CliRun.run(
            "simulate",
            d.config.toString(),
            "--out",
            out.toString(),
            "--set",
            "client.learning_rate=1e37",
            "--set",
            "client.local_steps=3");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("round 1 failed: 0 clients contributed, at least 1 required"), r.err());
    assertTrue(r.err().contains("training diverged: loss is"), r.err());
    // A resume would replay the same seeded round: the hint says so instead of suggesting one.
    assertTrue(
        r.err().contains("which a resume with the same settings repeats: start a new run with a"),
        r.err());
    assertTrue(!r.err().contains("--resume"), r.err());
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(1, metrics.size(), String.join("\n", metrics));
    JsonObject failed = JsonParser.parseString(metrics.get(0)).getAsJsonObject();
    assertEquals("round_failed", failed.get("event").getAsString());
    assertEquals(2, failed.getAsJsonArray("failures").size(), metrics.get(0));
  }

  @Test
  void aRoundWithFailedUpdatesPrintsALineNamingOne() {
    Map<String, Object> line =
        Map.of(
            "sampled",
            List.of("client-0", "client-1", "client-2"),
            "failures",
            List.of(
                Map.of("client", "client-1", "kind", "DECLINED", "reason", "budget spent"),
                Map.of(
                    "client",
                    "client-2",
                    "kind",
                    "ERROR",
                    "reason",
                    "fit threw IllegalStateException: training diverged: loss is NaN at step 2")));
    assertEquals(
        "round 4: 1 of 3 sampled clients failed (client-2: fit threw IllegalStateException:"
            + " training diverged: loss is NaN at step 2); the round went on without its update;"
            + " every failure: failures in metrics.jsonl",
        SimulateCommand.fitFailureLine(4, line));
  }

  /** A client that declined (its privacy budget spent) is counted as clients_declined instead. */
  @Test
  void declinedClientsAloneAndNoFailuresPrintNoLine() {
    assertNull(
        SimulateCommand.fitFailureLine(
            1,
            Map.of(
                "sampled",
                List.of("client-0"),
                "failures",
                List.of(Map.of("client", "client-0", "kind", "DECLINED", "reason", "spent")))));
    assertNull(
        SimulateCommand.fitFailureLine(
            1, Map.of("sampled", List.of("client-0"), "failures", List.of())));
  }
}
