package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code fedpeft certs}, {@code server} and three clients (a {@code client} command and a {@code
 * node} hosting two clients) on 127.0.0.1 with mutual TLS, as a user runs them (in this JVM, each
 * on its own thread), against {@code simulate} on the same config: the same metrics and the same
 * adapter, byte for byte.
 */
@Timeout(600)
class DeployCliTest {

  @TempDir Path tmp;

  private static final List<String> CLIENTS = List.of("client-0", "client-1", "client-2");

  private Path config() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    Path data = Deployments.topicsFile(tmp.resolve("data.jsonl"), 96);
    Path config = tmp.resolve("run.toml");
    Files.writeString(
        config,
        """
        seed = 9
        rounds = 2
        clients = 3
        clients_per_round = 2

        [data]
        file = "%s"
        partition = "dirichlet:0.5"
        max_eval = 24

        %s
        %s"""
            .formatted(
                Deployments.toml(data),
                Deployments.modelSection(model),
                Deployments.LORA_AND_CLIENT));
    return config;
  }

  @Test
  void serverAndClientsOverMutualTlsEndLikeTheSimulation() throws Exception {
    Path config = config();
    Path simulated = tmp.resolve("simulated");
    Deployments.simulate(config, simulated);

    Path certs = Deployments.certs(tmp.resolve("certs"), CLIENTS);

    Path deployed = tmp.resolve("deployed");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CliRun.Serving serving =
          CliRun.server(pool, Spawned.serverArgs(config, deployed, certs, "--wait-seconds", "300"));
      String address = serving.address();
      Future<CliRun.Result> server = serving.result();
      List<Future<CliRun.Result>> clients = new ArrayList<>();
      // client-0 alone, client-1 and client-2 hosted by one node
      clients.add(
          pool.submit(
              () ->
                  CliRun.run(
                      "client",
                      config.toString(),
                      "--server",
                      address,
                      "--id",
                      "client-0",
                      "--certs",
                      certs.toString(),
                      "--state",
                      tmp.resolve("state").toString())));
      clients.add(
          pool.submit(
              () ->
                  CliRun.run(
                      "node",
                      config.toString(),
                      "--server",
                      address,
                      "--clients",
                      "2",
                      "--first",
                      "1",
                      "--certs",
                      certs.toString(),
                      "--state",
                      tmp.resolve("state").toString())));
      CliRun.Result s = server.get(9, TimeUnit.MINUTES);
      assertEquals(0, s.code(), s.err());
      assertTrue(s.err().contains("mutual TLS"), s.err());
      assertEquals(
          "grpc, mutual TLS",
          com.google.gson.JsonParser.parseString(
                  Files.readString(deployed.resolve("manifest.json")))
              .getAsJsonObject()
              .get("transport")
              .getAsString(),
          "the manifest says how messages travelled");
      for (Future<CliRun.Result> f : clients) {
        CliRun.Result r = f.get(1, TimeUnit.MINUTES);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("the run completed 2 rounds"), r.out());
      }
    } finally {
      pool.shutdownNow();
    }
    Deployments.assertSameRun(simulated, deployed);
  }

  /**
   * A client process killed with SIGKILL while it trains in round 2 is a failed client of that
   * round; restarted with the same state folder it rejoins (the server waits for it after each
   * round) and the run completes. Done twice, the two runs end with the same adapter.
   */
  @Test
  @Tag("slow")
  void aClientKilledMidRoundRejoinsAndTheResultIsDeterministic() throws Exception {
    Path config = config();
    Path certs = Deployments.certs(tmp.resolve("certs"), CLIENTS);
    Path first = killRun(config, certs, "one");
    Path second = killRun(config, certs, "two");
    for (String f : List.of("adapter/adapter_model.safetensors", "adapter/head.safetensors")) {
      assertArrayEquals(
          Files.readAllBytes(first.resolve(f)), Files.readAllBytes(second.resolve(f)), f);
    }
  }

  private Path killRun(Path config, Path certs, String name) throws Exception {
    Path out = tmp.resolve("killed-" + name);
    String[] settings = {"--set", "rounds=3", "--set", "clients_per_round=3"};
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<String> serverArgs =
          Spawned.serverArgs(config, out, certs, "--rejoin-wait-seconds", "300");
      serverArgs.addAll(List.of(settings));
      CliRun.Serving serving = CliRun.server(pool, serverArgs);
      String address = serving.address();
      Future<CliRun.Result> server = serving.result();
      List<Future<CliRun.Result>> clients = new ArrayList<>();
      for (String id : List.of("client-0", "client-2")) {
        clients.add(
            pool.submit(() -> CliRun.run(clientArgs(config, certs, address, id, name, settings))));
      }
      // client-1 in its own process, held when round 2's training starts, then killed there
      String point = "client-fit-round-2";
      try (Spawned killed =
          Spawned.fedpeft(
              "client-1",
              Map.of(PausePoint.PROPERTY, point),
              List.of(clientArgs(config, certs, address, "client-1", name, settings)))) {
        killed.awaitLine(PausePoint.message(point));
        killed.kill(); // SIGKILL on Linux
      }
      // restarted with the same state folder
      clients.add(
          pool.submit(
              () -> CliRun.run(clientArgs(config, certs, address, "client-1", name, settings))));
      CliRun.Result s = server.get(9, TimeUnit.MINUTES);
      assertEquals(0, s.code(), s.err());
      // the round went on without client-1's update, and the server says so
      assertTrue(
          s.err().contains("round 2: 1 of 3 sampled clients failed (client-1: fit dropped: node"),
          s.err());
      for (Future<CliRun.Result> f : clients) {
        CliRun.Result r = f.get(1, TimeUnit.MINUTES);
        assertEquals(0, r.code(), r.err());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(
        1,
        JsonParser.parseString(Files.readString(out.resolve("summary.json")))
            .getAsJsonObject()
            .get("client_fit_failures")
            .getAsInt(),
        "summary.json counts the failed update");
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(3, metrics.size());
    JsonObject round2 = JsonParser.parseString(metrics.get(1)).getAsJsonObject();
    assertEquals(2, round2.get("accepted").getAsInt(), metrics.get(1));
    JsonObject failure = round2.getAsJsonArray("failures").get(0).getAsJsonObject();
    assertEquals("DROPPED", failure.get("kind").getAsString(), metrics.get(1));
    String reason = failure.get("reason").getAsString();
    assertTrue(reason.startsWith("fit dropped: node client-1 was lost before it"), reason);
    JsonObject round3 = JsonParser.parseString(metrics.get(2)).getAsJsonObject();
    assertEquals(3, round3.get("accepted").getAsInt(), metrics.get(2));
    return out;
  }

  /**
   * The server process killed with SIGKILL after round 2 is aggregated but before it is
   * checkpointed; {@code server --resume} continues from round 1's checkpoint, the running clients
   * reconnect by themselves, and the run ends with the simulation's adapter, byte for byte. With
   * FedSA-LoRA (B is each client's LOCAL state) the clients had already saved what round 2 left
   * when the server died; round 2 run again starts from the state before it (QA, 2 December: it
   * started from round 2's own, and the run ended unlike its simulation).
   */
  @ParameterizedTest
  @ValueSource(strings = {"fedit", "fedsa-lora"})
  @Tag("slow")
  void aKilledServerResumesAndTheClientsReconnect(String method) throws Exception {
    Path config = config();
    String[] settings =
        method.equals("fedit")
            ? new String[] {"--set", "rounds=3"}
            : new String[] {
              "--set",
              "rounds=3",
              "--set",
              "adapter.method=" + method,
              "--set",
              "server.strategy=fedavg"
            };
    Path simulated = tmp.resolve("simulated-3");
    List<String> simArgs =
        new ArrayList<>(List.of("simulate", config.toString(), "--out", simulated.toString()));
    simArgs.addAll(List.of(settings));
    assertEquals(0, CliRun.run(simArgs.toArray(new String[0])).code());
    Path out = killServerAndResume(tmp, config, settings, 3);
    assertEquals(
        Files.readString(simulated.resolve("metrics.jsonl")),
        Files.readString(out.resolve("metrics.jsonl")));
    List<Path> files;
    try (var listing = Files.list(simulated.resolve("adapter"))) {
      files = listing.filter(f -> f.toString().endsWith(".safetensors")).toList();
    }
    assertTrue(files.size() >= 2, files.toString());
    for (Path f : files) {
      Path rel = simulated.relativize(f);
      assertArrayEquals(
          Files.readAllBytes(f), Files.readAllBytes(out.resolve(rel)), rel.toString());
    }
  }

  /**
   * In {@code tmp}: certificates for client-0 ... client-2, a server process of {@code config} (and
   * {@code settings}) that is killed with SIGKILL when it reaches the pause point {@code
   * round-2-before-checkpoint} (round 2 aggregated, not yet checkpointed), three clients in this
   * JVM that keep running (their wait between attempts to connect capped at 1 s, {@link
   * Spawned#RECONNECT_QUICKLY}), and {@code server --resume}, which continues from round 1's
   * checkpoint; asserts that the resumed server and the clients complete the run's {@code rounds}
   * rounds.
   *
   * @return the resumed run's folder
   */
  static Path killServerAndResume(Path tmp, Path config, String[] settings, int rounds)
      throws Exception {
    return killServerAndResume(
        tmp, config, settings, rounds, "round-2-before-checkpoint", 1, new ArrayList<>());
  }

  /**
   * As {@link #killServerAndResume(Path, Path, String[], int)}, with the server killed at the pause
   * point {@code point} instead, after which its checkpoint holds round {@code saved}; {@code
   * released} gets the lines of metrics.jsonl as the killed server left them.
   */
  static Path killServerAndResume(
      Path tmp,
      Path config,
      String[] settings,
      int rounds,
      String point,
      int saved,
      List<String> released)
      throws Exception {
    Path certs = Deployments.certs(tmp.resolve("certs"), CLIENTS);
    Path out = tmp.resolve("resumed");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (Spawned killed =
        Spawned.server(
            "server",
            Map.of(PausePoint.PROPERTY, point),
            Spawned.serverArgs(config, out, certs, settings))) {
      String address = killed.address();
      List<Future<CliRun.Result>> clients = new ArrayList<>();
      // The clients reconnect to the resumed server: within 1 s of it listening, not up to 30 s.
      List<String> reconnecting = new ArrayList<>(List.of(settings));
      reconnecting.addAll(Spawned.RECONNECT_QUICKLY);
      String[] clientSettings = reconnecting.toArray(new String[0]);
      for (String id : List.of("client-0", "client-1", "client-2")) {
        clients.add(
            pool.submit(
                () ->
                    CliRun.run(
                        clientArgs(tmp, config, certs, address, id, "resume", clientSettings))));
      }
      killed.awaitLine(PausePoint.message(point));
      killed.kill(); // SIGKILL on Linux
      released.addAll(Files.readAllLines(out.resolve("metrics.jsonl")));
      // The running clients reconnect to the address they know: the resumed server must bind the
      // killed one's port, not a new one (it tries again while that port is still held).
      CliRun.Result s = CliRun.run(Spawned.resumeArgs(out, address, certs));
      assertEquals(0, s.code(), s.err());
      assertTrue(s.err().contains("resuming " + out + " after round " + saved), s.err());
      for (Future<CliRun.Result> f : clients) {
        CliRun.Result r = f.get(2, TimeUnit.MINUTES);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("the run completed " + rounds + " rounds"), r.out());
      }
    } finally {
      pool.shutdownNow();
    }
    return out;
  }

  private String[] clientArgs(
      Path config, Path certs, String address, String id, String run, String[] settings) {
    return clientArgs(tmp, config, certs, address, id, run, settings);
  }

  private static String[] clientArgs(
      Path tmp, Path config, Path certs, String address, String id, String run, String[] settings) {
    return Spawned.clientArgs(
            config, address, id, certs, tmp.resolve("state-" + run + "-" + id), settings)
        .toArray(new String[0]);
  }
}
