package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.run.PausePoint;
import org.fedpeft.run.RunCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * User audit, 5 December: a round that failed on {@code server.min_clients} (too few clients
 * answered) wrote no metrics.jsonl line, only its console message. Now it leaves a line {@code
 * "event": "round_failed"} with the clients' failures, written by the simulation's code (the server
 * runs the simulation's rounds), outside the checkpoint, with the attempt's traffic; {@code server
 * --resume} runs the round again and keeps the line, and the run equals {@code simulate} but for
 * that line and its byte totals, which count the failed attempt's traffic.
 *
 * <p>Separate processes on 127.0.0.1 with mutual TLS: client-1 is held at the start of its fit in
 * round 2 ({@code -Dfedpeft.pause=client-fit-round-2}) and killed, so round 2 has 1 of the 2
 * clients it needs ({@link TwoClientDeployment}). The resumed server and its two clients run in
 * this JVM.
 */
@Timeout(600)
class RoundFailedCliTest {

  @TempDir Path tmp;

  @Test
  void aRoundWithTooFewClientsIsInMetricsAndTheResumedRunEqualsSimulatePlusTheAttemptsTraffic()
      throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 2, 2);
    Path simulated = tmp.resolve("simulated");
    CliRun.Result sim = CliRun.run("simulate", d.config.toString(), "--out", simulated.toString());
    assertEquals(0, sim.code(), sim.err());

    Path out = tmp.resolve("run");
    String point = "client-fit-round-2";
    try (Spawned server = d.server(out);
        Spawned good = d.client("client-0", Map.of());
        Spawned killed = d.client("client-1", Map.of(PausePoint.PROPERTY, point))) {
      killed.awaitLine(PausePoint.message(point));
      killed.kill();
      assertEquals(2, server.waitFor(), server.output());
      assertTrue(
          server.output().contains("round 2 failed: 1 client contributed, at least 2 required"),
          server.output());
      good.kill(); // it would reconnect to the resumed server by itself, after its backoff
    }
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, metrics.size(), String.join("\n", metrics));
    JsonObject failed = JsonParser.parseString(metrics.get(1)).getAsJsonObject();
    assertEquals("round_failed", failed.get("event").getAsString(), metrics.get(1));
    assertEquals(2, failed.get("round").getAsInt());
    assertEquals(
        List.of("client-0", "client-1"),
        failed.getAsJsonArray("sampled").asList().stream()
            .map(e -> e.getAsString())
            .sorted()
            .toList());
    assertEquals(1, failed.get("accepted").getAsInt());
    assertEquals(2, failed.get("required").getAsInt());
    JsonArray failures = failed.getAsJsonArray("failures");
    assertEquals(1, failures.size(), metrics.get(1));
    JsonObject f = failures.get(0).getAsJsonObject();
    assertEquals("client-1", f.get("client").getAsString());
    assertEquals("DROPPED", f.get("kind").getAsString());
    assertTrue(
        f.get("reason").getAsString().startsWith("fit dropped: node client-1 was lost"),
        f.toString());
    assertTrue(
        failed.get("failed").getAsString().startsWith("1 client contributed, fewer than"),
        metrics.get(1));
    // the checkpoint is round 1's: no line before it, round 1's line pending (round 1 was
    // checkpointed before its release: its line there has no evaluation)
    RunCheckpoint cp = RunCheckpoint.load(out);
    assertEquals(List.of(), cp.metricLines());
    assertEquals(1, cp.state().round());
    assertTrue(
        metrics.get(0).startsWith(cp.pendingLine().substring(0, cp.pendingLine().length() - 1)),
        cp.pendingLine());

    // no client runs now: the resumed server can take a new port, as the new clients learn it;
    // it and the clients (their states those of the killed run) run in this JVM
    TwoClientDeployment.InProcessRun resumed = d.runInProcess(d.resumeOnAnyPort(out), d::state);
    assertEquals(0, resumed.server().code(), resumed.server().err());
    assertTrue(resumed.server().err().contains("round 2: 2/2 clients"), resumed.server().err());
    // Review: round 1, the checkpoint's, released again, is marked; round 2, which failed and is
    // trained again, is not.
    assertTrue(
        resumed.server().err().contains("\nround 1 (from the checkpoint): 2/2 clients"),
        resumed.server().err());
    assertTrue(
        resumed.server().err().lines().filter(l -> l.contains("(from the checkpoint)")).count()
            == 1,
        resumed.server().err());
    for (CliRun.Result c : resumed.clients()) {
      assertEquals(0, c.code(), c.err());
    }
    // The resumed run keeps the failed attempt's line, and its totals count the attempt's traffic
    // (the instructions to both clients, client-0's update); all else is the simulation's.
    List<String> simulatedLines = Files.readAllLines(simulated.resolve("metrics.jsonl"));
    List<String> resumedLines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(metrics.get(1), resumedLines.get(1), "the failed attempt's line is kept");
    long up = failed.get("bytes_up").getAsLong();
    long down = failed.get("bytes_down").getAsLong();
    assertTrue(up > 0 && down > up, metrics.get(1));
    List<String> completed = new ArrayList<>(resumedLines);
    completed.remove(1);
    assertEquals(simulatedLines.size(), completed.size(), String.join("\n", resumedLines));
    for (int i = 0; i < completed.size(); i++) {
      JsonObject expected = JsonParser.parseString(simulatedLines.get(i)).getAsJsonObject();
      if (i > 0) {
        expected.addProperty("bytes_up_total", expected.get("bytes_up_total").getAsLong() + up);
        expected.addProperty(
            "bytes_down_total", expected.get("bytes_down_total").getAsLong() + down);
      }
      assertEquals(expected, JsonParser.parseString(completed.get(i)), completed.get(i));
    }
    JsonObject simulatedSummary =
        JsonParser.parseString(Files.readString(simulated.resolve("summary.json")))
            .getAsJsonObject();
    JsonObject resumedSummary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(
        simulatedSummary.get("bytes_up_total").getAsLong() + up,
        resumedSummary.get("bytes_up_total").getAsLong());
    assertEquals(
        simulatedSummary.get("bytes_down_total").getAsLong() + down,
        resumedSummary.get("bytes_down_total").getAsLong());
    for (String a : List.of("adapter/adapter_model.safetensors", "adapter/head.safetensors")) {
      assertArrayEquals(
          Files.readAllBytes(simulated.resolve(a)), Files.readAllBytes(out.resolve(a)), a);
    }
  }
}
