package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round that fails on server.min_clients leaves a {@code round_failed} line in metrics.jsonl,
 * from {@link Simulation#run}, the code both {@code simulate} and a network server run; the line is
 * not in the checkpoint, and resuming keeps it, with the attempt's traffic (FailedRoundTrafficTest;
 * RoundFailedCliTest resumes a deployed run after one and gets the simulation's model).
 */
class FailedRoundMetricsTest {

  @TempDir Path tmp;

  @Test
  void aRoundWithTooFewClientsLeavesAMetricsLine() throws Exception {
    Path model = TinyRuns.model(tmp.resolve("tiny"));
    Path data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 60);
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "4");
    o.put("rounds", "2");
    o.put("clients", "2");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.max_eval", "20");
    o.put("model.name", model.toString());
    o.put("server.min_clients", "1");
    Path out = tmp.resolve("run");
    ClientApp failing =
        ins -> {
          throw new IllegalStateException("no data today");
        };
    try (Simulation sim = Simulation.create(SimulationConfig.of(Map.of(), o, "test"), out)) {
      RoundFailedException e =
          assertThrows(
              RoundFailedException.class,
              () -> sim.run(new Simulation.Listener() {}, c -> failing));
      assertEquals(List.of("client-0", "client-1"), e.sampled().stream().sorted().toList());
    }
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(1, lines.size(), String.join("\n", lines));
    JsonObject line = JsonParser.parseString(lines.get(0)).getAsJsonObject();
    assertEquals("round_failed", line.get("event").getAsString());
    assertEquals(1, line.get("round").getAsInt());
    assertEquals(0, line.get("accepted").getAsInt());
    assertEquals(1, line.get("required").getAsInt());
    assertEquals(2, line.getAsJsonArray("failures").size());
    JsonObject f = line.getAsJsonArray("failures").get(0).getAsJsonObject();
    assertEquals("ERROR", f.get("kind").getAsString());
    // Review: each failure was a Map.of, whose key order changes from one JVM to the next, so a
    // resumed run's (or a server's) metrics.jsonl was not byte-identical once a client failed.
    assertEquals(List.of("client", "kind", "reason"), List.copyOf(f.keySet()));
    assertTrue(lines.get(0).contains("\"failures\":[{\"client\":\"client-"), lines.get(0));
    assertEquals(
        "0 clients contributed, fewer than server.min_clients = 1; the run stopped, its checkpoint"
            + " is the last completed round's",
        line.get("failed").getAsString());
    // The attempt's wall time is in timings.jsonl (audit: a failed round wrote none), marked as a
    // failed round, with the keys a completed round's line has.
    List<String> timings = Files.readAllLines(out.resolve("timings.jsonl"));
    assertEquals(1, timings.size(), String.join("\n", timings));
    JsonObject timing = JsonParser.parseString(timings.get(0)).getAsJsonObject();
    assertEquals("round_failed", timing.get("event").getAsString());
    assertEquals(1, timing.get("round").getAsInt());
    for (String key :
        List.of(
            "round_seconds",
            "client_fit_seconds",
            "client_fit_seconds_max",
            "eval_seconds",
            "overhead_fraction")) {
      assertTrue(timing.get(key).getAsDouble() >= 0, timing.toString());
    }
    assertEquals(0, timing.get("client_fit_seconds").getAsDouble(), "no client replied");
    // the attempt's traffic: the instructions went out, no update came back
    // (FailedRoundTrafficTest)
    assertEquals(0, line.get("bytes_up").getAsLong(), lines.get(0));
    assertTrue(line.get("bytes_down").getAsLong() > 0, lines.get(0));
    assertEquals(line.get("bytes_down"), line.get("bytes_down_total"), lines.get(0));
    // no round completed: resuming starts again from round 1, and keeps the failed attempt's line
    // (its traffic stays counted)
    try (Simulation resumed = Simulation.resume(out)) {
      assertEquals(0, resumed.completedRounds());
    }
    assertEquals(lines, Files.readAllLines(out.resolve("metrics.jsonl")));
  }
}
