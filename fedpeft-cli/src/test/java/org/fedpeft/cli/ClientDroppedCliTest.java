package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client process killed (SIGKILL) while it fits in round 1 is recorded in metrics.jsonl as a
 * failure of kind DROPPED, with the reason the transport gives, and the round completes with the
 * other client. On 127.0.0.1 with mutual TLS, the client killed is a process of its own, the server
 * and the other client run in this JVM; the test holds the client at the start of its fit ({@code
 * -Dfedpeft.pause=client-fit-round-1}) and kills it when it says so ({@link TwoClientDeployment}).
 */
@Timeout(600)
class ClientDroppedCliTest {

  @TempDir Path tmp;

  @Test
  void aClientKilledWhileItFitsIsDropped() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 1);
    Path out = tmp.resolve("run");
    String point = "client-fit-round-1";
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CliRun.Serving serving = CliRun.server(pool, Spawned.serverArgs(d.config, out, d.certs));
      d.address = serving.address();
      Future<CliRun.Result> good =
          pool.submit(
              () ->
                  CliRun.run(
                      Spawned.clientArgs(
                          d.config, d.address, "client-0", d.certs, d.state("client-0"))));
      try (Spawned killed = d.client("client-1", Map.of(PausePoint.PROPERTY, point))) {
        killed.awaitLine(PausePoint.message(point));
        killed.kill();
      }
      CliRun.Result server = serving.result().get(5, TimeUnit.MINUTES);
      assertEquals(0, server.code(), server.err());
      assertTrue(server.err().contains("round 1: 1/2 clients"), server.err());
      CliRun.Result client = good.get(2, TimeUnit.MINUTES);
      assertEquals(0, client.code(), client.err());
    } finally {
      pool.shutdownNow();
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
}
