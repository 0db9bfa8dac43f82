package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedpeft.privacy.RdpAccountant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client-level DP with Poisson client sampling over gRPC (mutual TLS on 127.0.0.1, server and nodes
 * in this JVM), with {@link ClientDpPoissonEmptyRoundCliTest}'s run: 6 clients, 2 expected per
 * round, round 2 draws nobody. A deployment releases and charges that round as {@code simulate}
 * does, without asking or waiting for any node, and its console says the round released the noise
 * alone; a round whose every drawn node is missing is released as noise alone and charged too, and
 * said so. Without client-level DP the server says the round that draws nobody was skipped.
 */
@Timeout(300)
class ClientDpPoissonEmptyRoundDeployCliTest {

  @TempDir Path tmp;

  private Path certs() {
    Path certs = tmp.resolve("certs");
    assertEquals(0, CliRun.run("certs", "--out", certs.toString(), "--population", "6").code());
    return certs;
  }

  /**
   * Runs a server of {@code config} into {@code out} waiting for {@code waitFor} nodes, and one
   * {@code node} per {@code (first, count)} range of clients; returns the server's result.
   */
  private CliRun.Result deploy(Path config, Path out, Path certs, int waitFor, int[][] nodes)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(1 + nodes.length);
    try {
      CliRun.Serving serving =
          CliRun.server(
              pool,
              "server",
              config.toString(),
              "--out",
              out.toString(),
              "--listen",
              Spawned.ANY_PORT,
              "--certs",
              certs.toString(),
              "--wait-for",
              String.valueOf(waitFor));
      List<Future<CliRun.Result>> started = new ArrayList<>();
      for (int[] range : nodes) {
        started.add(
            pool.submit(
                () ->
                    CliRun.run(
                        "node",
                        config.toString(),
                        "--server",
                        serving.address(),
                        "--first",
                        String.valueOf(range[0]),
                        "--clients",
                        String.valueOf(range[1]),
                        "--certs",
                        certs.toString(),
                        "--state",
                        tmp.resolve("state-" + range[0]).toString())));
      }
      CliRun.Result s = serving.result().get(4, TimeUnit.MINUTES);
      for (Future<CliRun.Result> n : started) {
        CliRun.Result r = n.get(1, TimeUnit.MINUTES);
        assertEquals(0, r.code(), r.err());
      }
      return s;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aRoundThatDrawsNobodyIsReleasedOverTheNetworkAsInTheSimulation() throws Exception {
    Path config = ClientDpPoissonEmptyRoundCliTest.config(tmp);
    Path simulated = tmp.resolve("simulated");
    CliRun.Result sim = CliRun.run("simulate", config.toString(), "--out", simulated.toString());
    assertEquals(0, sim.code(), sim.err());
    Path deployed = tmp.resolve("deployed");
    CliRun.Result s = deploy(config, deployed, certs(), 6, new int[][] {{0, 6}});
    assertEquals(0, s.code(), s.err());
    // metrics.jsonl (round 2: sampled [], accepted 0, its epsilon), summary.json and the adapter.
    DeployMethodsCliTest.assertSameRun(simulated, deployed);
    assertTrue(
        s.err()
            .contains(
                "round 2: 0/0 clients"
                    + System.lineSeparator()
                    + ClientDpPoissonEmptyRoundCliTest.NOISE_ONLY_ROUND_2),
        s.err());
    assertFalse(s.err().contains("skipped"), s.err());
    // The server warns as simulate does of noise larger than any averaged update (z = 1, m = 2).
    String warning =
        sim.err()
            .lines()
            .filter(l -> l.startsWith("warning: client-level DP noise"))
            .findFirst()
            .orElseThrow(() -> new AssertionError(sim.err()));
    assertTrue(s.err().contains(warning + System.lineSeparator()), s.err());
  }

  /**
   * Without client-level DP the round that draws nobody is skipped, and the server's console says
   * so after the round's line, as {@code simulate}'s does (it used to print only {@code round 2:
   * 0/0 clients}).
   */
  @Test
  void withoutClientDpTheServerSaysTheRoundWasSkipped() throws Exception {
    Path config = ClientDpPoissonEmptyRoundCliTest.config(tmp);
    String text = Files.readString(config);
    Files.writeString(
        config,
        text.substring(0, text.indexOf("[privacy]")) + text.substring(text.indexOf("[eval]")));
    Path deployed = tmp.resolve("deployed");
    CliRun.Result s = deploy(config, deployed, certs(), 6, new int[][] {{0, 6}});
    assertEquals(0, s.code(), s.err());
    String skipped = "round 2 skipped: no client sampled (Poisson client sampling)";
    assertTrue(
        s.err().contains("round 2: 0/0 clients" + System.lineSeparator() + skipped), s.err());
    assertTrue(
        Files.readAllLines(deployed.resolve("metrics.jsonl")).get(1).contains("\"skipped\""),
        "metrics.jsonl round 2");
    Path simulated = tmp.resolve("simulated");
    CliRun.Result sim = CliRun.run("simulate", config.toString(), "--out", simulated.toString());
    assertEquals(0, sim.code(), sim.err());
    assertTrue(sim.err().contains(skipped), sim.err());
  }

  @Test
  void aRoundWhoseEveryDrawnNodeIsMissingIsReleasedAndCharged() throws Exception {
    Path config = ClientDpPoissonEmptyRoundCliTest.config(tmp);
    // Round 1 draws one client (the seed's draws are 1, 0, 2 and 2 clients): leave it out.
    Path simulated = tmp.resolve("simulated");
    assertEquals(
        0, CliRun.run("simulate", config.toString(), "--out", simulated.toString()).code());
    JsonArray first =
        JsonParser.parseString(Files.readAllLines(simulated.resolve("metrics.jsonl")).get(0))
            .getAsJsonObject()
            .getAsJsonArray("sampled");
    assertEquals(1, first.size(), first.toString());
    String missing = first.get(0).getAsString();
    int k = Integer.parseInt(missing.substring("client-".length()));
    List<int[]> ranges = new ArrayList<>();
    if (k > 0) {
      ranges.add(new int[] {0, k});
    }
    if (k < 5) {
      ranges.add(new int[] {k + 1, 5 - k});
    }
    Path deployed = tmp.resolve("deployed");
    CliRun.Result s = deploy(config, deployed, certs(), 5, ranges.toArray(int[][]::new));
    assertEquals(0, s.code(), s.err());

    List<String> metrics = Files.readAllLines(deployed.resolve("metrics.jsonl"));
    assertEquals(4, metrics.size(), String.join("\n", metrics));
    JsonObject round1 = JsonParser.parseString(metrics.get(0)).getAsJsonObject();
    assertEquals(first, round1.getAsJsonArray("sampled"), round1.toString());
    assertEquals(0, round1.get("accepted").getAsInt(), round1.toString());
    assertFalse(round1.has("skipped"), round1.toString());
    JsonArray failures = round1.getAsJsonArray("failures");
    assertEquals(1, failures.size(), round1.toString());
    assertEquals(
        missing, failures.get(0).getAsJsonObject().get("client").getAsString(), round1.toString());
    // Every round is charged one step of (q, z), whoever answered.
    RdpAccountant charged = new RdpAccountant();
    for (String l : metrics) {
      charged.step(2.0 / 6, 1.1, 1);
      assertEquals(
          charged.getEpsilon(1e-5),
          JsonParser.parseString(l).getAsJsonObject().get("epsilon").getAsDouble(),
          l);
    }
    assertTrue(
        s.err()
            .contains(
                "round 1: 0/1 client"
                    + System.lineSeparator()
                    + "round 1: the 1 sampled client's update failed (failures in metrics.jsonl);"
                    + " released the noise alone and charged, as every round under privacy.mode"
                    + " = \"client\" with client_sampling = \"poisson\""
                    + System.lineSeparator()
                    + "round 1: 1 of 1 sampled client failed ("
                    + missing
                    + ": "),
        s.err());
    // The failure line says what the round did, as the line before: no "went on without".
    assertTrue(
        s.err().contains("); the round went on with the noise alone; every failure"), s.err());
  }
}
