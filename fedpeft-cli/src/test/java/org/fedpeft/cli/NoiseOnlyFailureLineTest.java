package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A client-level DP round under Poisson client sampling whose every sampled client failed printed
 * two lines that read as two stories: the noise-only line ("none of the 1 client(s) drawn sent a
 * valid update ...; released the noise alone") and the failure line ("1 of 1 sampled client failed
 * ...; the round went on without its update"). Both now speak of sampled clients, and the failure
 * line says what the round went on with: the noise alone (by the report's rule, {@code
 * RunRecorder.isNoiseOnlyRound}). A round that kept other clients' updates is worded as before.
 */
class NoiseOnlyFailureLineTest {

  private static Map<String, Object> line(List<String> sampled, int accepted) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("event", "round");
    line.put("round", 3);
    line.put("sampled", sampled);
    line.put("accepted", accepted);
    line.put(
        "failures",
        List.of(Map.of("client", "client-1", "kind", "DROPPED", "reason", "the node is gone")));
    line.put("epsilon", 0.8);
    return line;
  }

  @Test
  void aRoundWhoseEverySampledClientFailedWentOnWithTheNoiseAlone() {
    assertEquals(
        "round 3: 1 of 1 sampled client failed (client-1: the node is gone); the round went on"
            + " with the noise alone; every failure: failures in metrics.jsonl",
        SimulateCommand.fitFailureLine(3, line(List.of("client-1"), 0)));
    assertEquals(
        "round 3: the 1 sampled client's update failed (failures in metrics.jsonl); released the"
            + " noise alone and charged, as every round under privacy.mode = \"client\" with"
            + " client_sampling = \"poisson\"",
        SimulateCommand.noiseOnlyLine(
            3, "the 1 sampled client's update failed (failures in metrics.jsonl)"));
  }

  @Test
  void aRoundWithAnotherClientsUpdateWentOnWithoutTheFailedOne() {
    assertEquals(
        "round 3: 1 of 2 sampled clients failed (client-1: the node is gone); the round went on"
            + " without its update; every failure: failures in metrics.jsonl",
        SimulateCommand.fitFailureLine(3, line(List.of("client-0", "client-1"), 1)));
  }
}
