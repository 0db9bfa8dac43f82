package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client-level DP with Poisson client sampling releases and charges every round, also one that
 * draws nobody; an earlier fedpeft skipped such a round without a release or a charge. A run folder
 * it checkpointed after a skipped round cannot be resumed under the new rule without mixing the two
 * (its epsilon would cover neither): the resume is refused, naming metrics.jsonl and the round. A
 * round that released the noise alone is told to the listener ({@link
 * Simulation.Listener#onNoiseOnly}), which the console prints.
 */
class ClientDpPoissonOldSkipResumeTest {

  @TempDir static Path tmp;

  /** {@link SampleDpSimulationTest}'s tiny model and data, in this class's folder. */
  @BeforeAll
  static void tinyModelAndData() throws Exception {
    SampleDpSimulationTest.tmp = tmp;
    SampleDpSimulationTest.tinyModelAndData();
  }

  /** Stops the run once the first round that drew nobody is checkpointed. */
  private static final class Stop extends RuntimeException {}

  private static SimulationConfig config() {
    return SampleDpSimulationTest.config(
        Map.of(
            "rounds", "12",
            "eval.every", "12",
            "clients_per_round", "1",
            "client.local_steps", "1",
            "client_sampling", "poisson",
            "privacy.mode", "client",
            "privacy.client.noise_multiplier", "1.5"));
  }

  @Test
  void aRunCheckpointedAfterAnOldSkippedRoundIsNotResumed() throws Exception {
    Path out = tmp.resolve("old-skip");
    List<String> noiseOnly = new ArrayList<>();
    int[] emptyRound = {0};
    try (Simulation sim = Simulation.create(config(), out)) {
      assertThrows(
          Stop.class,
          () ->
              sim.run(
                  new Simulation.Listener() {
                    @Override
                    public void onNoiseOnly(int round, String reason) {
                      noiseOnly.add(round + ": " + reason);
                    }

                    @Override
                    public void onRound(RoundReport report, Map<String, Object> line) {
                      if (report.sampled().isEmpty()) {
                        emptyRound[0] = report.round();
                        throw new Stop();
                      }
                    }
                  }));
    }
    int round = emptyRound[0];
    assertTrue(round > 0 && round < 12, "a round draws nobody: " + round);
    assertEquals(List.of(round + ": no client sampled (Poisson client sampling)"), noiseOnly);

    // The checkpoint as the earlier fedpeft wrote it: the empty round skipped, not charged.
    // (the earlier fedpeft checkpointed a round after its line: the checkpoint's lines are
    // metrics.jsonl's, and it has no pending line)
    RunCheckpoint saved = RunCheckpoint.load(out);
    List<String> lines =
        new ArrayList<>(Files.readAllLines(out.resolve("metrics.jsonl")).subList(0, round));
    JsonObject last = JsonParser.parseString(lines.get(round - 1)).getAsJsonObject();
    last.remove("epsilon");
    last.remove("dp_clip_norm");
    last.addProperty("skipped", "no client sampled (Poisson client sampling)");
    lines.set(round - 1, last.toString());
    new RunCheckpoint(saved.state(), lines, saved.comm(), saved.local()).save(out);
    String metricsBefore = String.join("\n", lines) + "\n";
    Files.writeString(out.resolve("metrics.jsonl"), metricsBefore);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Simulation.resume(out));
    assertEquals(
        out.resolve("metrics.jsonl")
            + ": round "
            + round
            + " skipped (an earlier fedpeft skipped a round that drew fewer than"
            + " server.min_clients clients, releasing and charging nothing); with privacy.mode ="
            + " \"client\" and client_sampling = \"poisson\" this version releases and charges"
            + " every round, as the accounting with q = clients_per_round / clients assumes, so"
            + " the run cannot be resumed: its epsilon would not cover the skipped round. Start it"
            + " again with --out "
            + out
            + " --force",
        e.getMessage());
    // Nothing of the run was changed by the refused resume.
    assertEquals(metricsBefore, Files.readString(out.resolve("metrics.jsonl")));
    assertEquals(lines, RunCheckpoint.load(out).metricLines());
  }
}
