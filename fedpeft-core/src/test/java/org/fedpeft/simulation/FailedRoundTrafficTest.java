package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Audit: a round that failed on server.min_clients had no traffic on its {@code round_failed} line,
 * and a resumed run, which takes its byte counts from the checkpoint (the last completed round's),
 * lost the traffic of the failed attempt from its totals, although its instructions went out and
 * the updates of the clients that answered came back. Now the line has the attempt's {@code
 * bytes_up} and {@code bytes_down} and the totals after it, as a {@code stopped_early} line has, a
 * resumed run keeps the line, and its totals (metrics.jsonl's and summary.json's) are an
 * uninterrupted run's plus the failed attempt's.
 */
class FailedRoundTrafficTest {

  @TempDir Path tmp;

  /** A client that sends back the tensors it received, and counts the bytes both ways. */
  private static final class Echo implements ClientApp {
    final AtomicLong down = new AtomicLong();
    final AtomicLong up = new AtomicLong();
    final int failInRound;
    final String failing;

    Echo(int failInRound, String failing) {
      this.failInRound = failInRound;
      this.failing = failing;
    }

    @Override
    public ClientUpdate fit(FitInstructions in) {
      if (in.round() == failInRound) {
        // the instructions went out, whether or not the client answers
        down.addAndGet(in.serializedSize());
        if (in.clientId().equals(failing)) {
          throw new IllegalStateException("gone in round " + in.round());
        }
      }
      ClientUpdate u = new ClientUpdate(in.clientId(), in.tensors(), 10);
      if (in.round() == failInRound) {
        up.addAndGet(u.serializedSize());
      }
      return u;
    }
  }

  private SimulationConfig config() throws Exception {
    Path model = TinyRuns.model(tmp.resolve("tiny"));
    Path data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 60);
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "4");
    o.put("rounds", "3");
    o.put("clients", "2");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.max_eval", "20");
    o.put("model.name", model.toString());
    o.put("server.min_clients", "2");
    return SimulationConfig.of(Map.of(), o, "test");
  }

  private static JsonObject json(String line) {
    return JsonParser.parseString(line).getAsJsonObject();
  }

  /** A line's count, 0 if absent (round 1 is not evaluated unless eval.every is 1). */
  private static long num(JsonObject o, String key) {
    return o.has(key) ? o.get(key).getAsLong() : 0;
  }

  @Test
  void aFailedAttemptsTrafficIsOnItsLineAndInAResumedRunsTotals() throws Exception {
    SimulationConfig config = config();
    // uninterrupted, nothing fails
    Path plain = tmp.resolve("plain");
    JsonObject plainSummary;
    try (Simulation sim = Simulation.create(config, plain)) {
      plainSummary = sim.run(new Simulation.Listener() {}, c -> new Echo(0, ""));
    }
    // round 2 fails: client-1 does not answer, client-0 does
    Path out = tmp.resolve("run");
    Echo failingRound2 = new Echo(2, "client-1");
    try (Simulation sim = Simulation.create(config, out)) {
      RoundFailedException e =
          assertThrows(
              RoundFailedException.class,
              () -> sim.run(new Simulation.Listener() {}, c -> failingRound2));
      assertEquals(2, e.round());
      assertEquals(1, e.succeeded());
    }
    long up = failingRound2.up.get();
    long down = failingRound2.down.get();
    // by hand: both clients' instructions went down, client-0's update came up
    assertEquals(true, up > 0 && down > up, up + " up, " + down + " down");
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, lines.size(), String.join("\n", lines));
    JsonObject round1 = json(lines.get(0));
    JsonObject failed = json(lines.get(1));
    assertEquals("round_failed", failed.get("event").getAsString());
    assertEquals(up, failed.get("bytes_up").getAsLong(), lines.get(1));
    assertEquals(down, failed.get("bytes_down").getAsLong(), lines.get(1));
    // the totals after it: round 1's, its evaluation's, then the attempt's
    assertEquals(
        round1.get("bytes_up_total").getAsLong() + num(round1, "eval_bytes_up") + up,
        failed.get("bytes_up_total").getAsLong());
    assertEquals(
        round1.get("bytes_down_total").getAsLong() + num(round1, "eval_bytes_down") + down,
        failed.get("bytes_down_total").getAsLong());

    // resumed: round 2 again, then 3; the failed attempt's line stays, its traffic counted
    JsonObject summary;
    try (Simulation resumed = Simulation.resume(out)) {
      assertEquals(1, resumed.completedRounds());
      assertEquals(lines, Files.readAllLines(out.resolve("metrics.jsonl")));
      summary = resumed.run(new Simulation.Listener() {}, c -> new Echo(0, ""));
    }
    assertEquals(
        plainSummary.get("bytes_up_total").getAsLong() + up,
        summary.get("bytes_up_total").getAsLong());
    assertEquals(
        plainSummary.get("bytes_down_total").getAsLong() + down,
        summary.get("bytes_down_total").getAsLong());
    List<String> plainLines = Files.readAllLines(plain.resolve("metrics.jsonl"));
    List<String> resumedLines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(4, resumedLines.size(), String.join("\n", resumedLines));
    assertEquals(lines.get(1), resumedLines.get(1), "the failed attempt's line is kept");
    assertEquals(lines, RunCheckpoint.load(out).metricLines().subList(0, 2));
    // the completed rounds are the uninterrupted run's, with the attempt's bytes in the totals
    List<String> completed = new ArrayList<>(resumedLines);
    completed.remove(1);
    for (int i = 0; i < 3; i++) {
      JsonObject expected = json(plainLines.get(i));
      JsonObject actual = json(completed.get(i));
      if (i > 0) {
        expected.addProperty("bytes_up_total", expected.get("bytes_up_total").getAsLong() + up);
        expected.addProperty(
            "bytes_down_total", expected.get("bytes_down_total").getAsLong() + down);
      }
      assertEquals(expected, actual, completed.get(i));
    }
  }
}
