package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An earlier fedpeft failed a client-level DP round under Poisson client sampling in which no
 * sampled client sent a valid update (fewer than server.min_clients = 1): the run stopped with a
 * {@code round_failed} line in metrics.jsonl, nothing released or charged, though the line and the
 * stop showed who was sampled and failed. This version releases and charges such a round (the noise
 * alone), so a folder with that line cannot be resumed under the new rule any more than one with a
 * skipped round ({@link ClientDpPoissonOldSkipResumeTest}): the resume is refused, naming
 * metrics.jsonl and the round, and changes nothing. Before, it was resumed.
 */
class ClientDpPoissonOldFailedRoundResumeTest {

  @TempDir static Path tmp;

  /** {@link SampleDpSimulationTest}'s tiny model and data, in this class's folder. */
  @BeforeAll
  static void tinyModelAndData() throws Exception {
    SampleDpSimulationTest.tmp = tmp;
    SampleDpSimulationTest.tinyModelAndData();
  }

  private static SimulationConfig config() {
    return SampleDpSimulationTest.config(
        Map.of(
            "rounds", "4",
            "eval.every", "4",
            "clients_per_round", "1",
            "client.local_steps", "1",
            "client_sampling", "poisson",
            "privacy.mode", "client",
            "privacy.client.noise_multiplier", "1.5"));
  }

  /** The round_failed line of {@code round} as the earlier fedpeft wrote it. */
  private static String failedLine(int round) {
    return "{\"event\":\"round_failed\",\"round\":"
        + round
        + ",\"sampled\":[\"client-1\"],\"accepted\":0,\"required\":1,\"failures\":[{\"client\":"
        + "\"client-1\",\"kind\":\"DROPPED\",\"reason\":\"the node closed its stream\"}],"
        + "\"failed\":\"0 clients contributed, fewer than server.min_clients = 1\","
        + "\"bytes_up\":0,\"bytes_down\":100,\"bytes_up_total\":0,\"bytes_down_total\":100}";
  }

  private static String refusal(Path out, int round) {
    return out.resolve("metrics.jsonl")
        + ": round "
        + round
        + " failed (an earlier fedpeft stopped the run at a round whose sampled clients sent fewer"
        + " than server.min_clients valid updates (round_failed), which showed who was sampled and"
        + " failed, releasing and charging nothing); with privacy.mode = \"client\" and"
        + " client_sampling = \"poisson\" this version releases and charges every round, as the"
        + " accounting with q = clients_per_round / clients assumes, so the run cannot be resumed:"
        + " its epsilon would not cover the failed round. Start it again with --out "
        + out
        + " --force";
  }

  @Test
  void aRunStoppedByAnOldFailedRoundIsNotResumed() throws Exception {
    Path out = tmp.resolve("old-failed");
    TinyRuns.stopAfterRound(config(), out, 2);
    // The checkpoint as the earlier fedpeft wrote it, after round 2's line: its lines are
    // metrics.jsonl's, and it has no pending line.
    RunCheckpoint saved = RunCheckpoint.load(out);
    List<String> recorded = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, recorded.size());
    new RunCheckpoint(saved.state(), recorded, saved.comm(), saved.local()).save(out);
    String metricsBefore = String.join("\n", recorded) + "\n" + failedLine(3) + "\n";
    Files.writeString(out.resolve("metrics.jsonl"), metricsBefore);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Simulation.resume(out));
    assertEquals(refusal(out, 3), e.getMessage());
    // Nothing of the run was changed by the refused resume.
    assertEquals(metricsBefore, Files.readString(out.resolve("metrics.jsonl")));
    assertEquals(recorded, RunCheckpoint.load(out).metricLines());
  }

  @Test
  void aRunWhoseFirstRoundFailedIsNotResumedEither() throws Exception {
    Path out = tmp.resolve("old-failed-first");
    Simulation.create(config(), out).close(); // started, no round completed: no checkpoint
    assertFalse(Files.exists(out.resolve(Simulation.CHECKPOINT)), "no checkpoint");
    String metricsBefore = failedLine(1) + "\n";
    Files.writeString(out.resolve("metrics.jsonl"), metricsBefore);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Simulation.resume(out));
    assertEquals(refusal(out, 1), e.getMessage());
    assertEquals(metricsBefore, Files.readString(out.resolve("metrics.jsonl")));
  }
}
