package org.fedpeft.cli;

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
import org.fedpeft.simulation.PausePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client process killed (SIGKILL) while it fits in round 1 is recorded in metrics.jsonl as a
 * failure of kind DROPPED, with the reason the transport gives, and the round completes with the
 * other client. Server and clients are separate processes on 127.0.0.1 with mutual TLS; the test
 * holds the client at the start of its fit ({@code -Dfedpeft.pause=client-fit-round-1}) and kills
 * it when it says so.
 */
@Timeout(600)
class ClientDroppedCliTest {

  @TempDir Path tmp;

  @Test
  void aClientKilledWhileItFitsIsDropped() throws Exception {
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
        rounds = 1
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
        min_clients = 1
        """
            .formatted(
                data.toString().replace("\\", "\\\\"), model.toString().replace("\\", "\\\\")));
    Path certs = tmp.resolve("certs");
    assertEquals(
        0, CliRun.run("certs", "--out", certs.toString(), "--clients", "client-0,client-1").code());
    String address;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      address = "127.0.0.1:" + s.getLocalPort();
    }
    Path out = tmp.resolve("run");
    String point = "client-fit-round-1";
    try (Spawned server = Spawned.server(config, out, address, certs);
        Spawned good = client(config, certs, address, "client-0", Map.of());
        Spawned killed =
            client(config, certs, address, "client-1", Map.of(PausePoint.PROPERTY, point))) {
      killed.awaitLine(PausePoint.message(point));
      killed.kill();
      assertEquals(0, server.waitFor(), server.output());
      assertTrue(server.output().contains("round 1: 1/2 clients"), server.output());
      assertEquals(0, good.waitFor(), good.output());
    }
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(1, metrics.size());
    JsonObject round1 = JsonParser.parseString(metrics.get(0)).getAsJsonObject();
    assertEquals(1, round1.get("accepted").getAsInt(), metrics.get(0));
    JsonArray failures = round1.getAsJsonArray("failures");
    assertEquals(1, failures.size(), metrics.get(0));
    JsonObject f = failures.get(0).getAsJsonObject();
    assertEquals("client-1", f.get("client").getAsString());
    assertEquals("DROPPED", f.get("kind").getAsString());
    assertTrue(
        f.get("reason")
            .getAsString()
            .matches(
                "fit dropped: node client-1 was lost before it answered fit request \\d+ \\(round 1\\): .+"),
        f.toString());
  }

  private Spawned client(
      Path config, Path certs, String address, String id, Map<String, String> properties)
      throws Exception {
    return Spawned.client(id, properties, config, address, id, certs, tmp.resolve("state-" + id));
  }
}
