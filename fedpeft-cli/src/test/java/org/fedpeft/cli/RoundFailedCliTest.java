package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.simulation.PausePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * User audit, 5 December: a round that failed on {@code server.min_clients} (too few clients
 * answered) wrote no metrics.jsonl line, only its console message. Now it leaves a line {@code
 * "event": "round_failed"} with the clients' failures, written by the simulation's code (the server
 * runs the simulation's rounds), outside the checkpoint; {@code server --resume} runs the round
 * again and the run still equals {@code simulate} byte for byte.
 *
 * <p>Separate processes on 127.0.0.1 with mutual TLS: client-1 is held at the start of its fit in
 * round 2 ({@code -Dfedpeft.pause=client-fit-round-2}) and killed, so round 2 has 1 of the 2
 * clients it needs.
 */
@Timeout(600)
class RoundFailedCliTest {

  @TempDir Path tmp;

  @Test
  void aRoundWithTooFewClientsIsInMetricsAndTheResumedRunEqualsSimulate() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      lines.add(
          "{\"text\": \"topic " + (i % 3) + " item " + i + "\", \"label\": \"t" + (i % 3) + "\"}");
    }
    Path data = Files.write(tmp.resolve("data.jsonl"), lines);
    Path config = tmp.resolve("run.toml");
    Files.writeString(
        config,
        """
        seed = 3
        rounds = 2
        clients = 2
        clients_per_round = 2

        [data]
        file = "%s"
        partition = "iid"
        max_eval = 12

        [model]
        name = "%s"

        [adapter]
        rank = 2
        targets = ["query"]

        [client]
        local_steps = 1
        batch_size = 8

        [server]
        min_clients = 2
        """
            .formatted(
                data.toString().replace("\\", "\\\\"), model.toString().replace("\\", "\\\\")));
    Path simulated = tmp.resolve("simulated");
    CliRun.Result sim = CliRun.run("simulate", config.toString(), "--out", simulated.toString());
    assertEquals(0, sim.code(), sim.err());

    Path certs = tmp.resolve("certs");
    assertEquals(
        0, CliRun.run("certs", "--out", certs.toString(), "--clients", "client-0,client-1").code());
    String address;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      address = "127.0.0.1:" + s.getLocalPort();
    }
    Path out = tmp.resolve("run");
    String point = "client-fit-round-2";
    try (Spawned server = Spawned.server(config, out, address, certs);
        Spawned good = client(config, certs, address, "client-0", Map.of());
        Spawned killed =
            client(config, certs, address, "client-1", Map.of(PausePoint.PROPERTY, point))) {
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
    // the checkpoint is round 1's, with round 1's line only
    assertEquals(List.of(metrics.get(0)), RunCheckpoint.load(out).metricLines());

    try (Spawned resumed =
            Spawned.fedpeft(
                "resumed",
                Map.of(),
                List.of(
                    "server",
                    "--resume",
                    out.toString(),
                    "--listen",
                    address,
                    "--certs",
                    certs.toString()));
        Spawned c0 = client(config, certs, address, "client-0", Map.of());
        Spawned c1 = client(config, certs, address, "client-1", Map.of())) {
      assertEquals(0, resumed.waitFor(), resumed.output());
      assertTrue(resumed.output().contains("round 2: 2/2 clients"), resumed.output());
      assertEquals(0, c0.waitFor(), c0.output());
      assertEquals(0, c1.waitFor(), c1.output());
    }
    assertEquals(
        Files.readString(simulated.resolve("metrics.jsonl")),
        Files.readString(out.resolve("metrics.jsonl")),
        "the resumed run's metrics.jsonl is the simulation's: the failed attempt's line is gone");
    for (String a : List.of("adapter/adapter_model.safetensors", "adapter/head.safetensors")) {
      assertArrayEquals(
          Files.readAllBytes(simulated.resolve(a)), Files.readAllBytes(out.resolve(a)), a);
    }
  }

  private Spawned client(
      Path config, Path certs, String address, String id, Map<String, String> properties)
      throws Exception {
    return Spawned.client(id, properties, config, address, id, certs, tmp.resolve("state-" + id));
  }
}
