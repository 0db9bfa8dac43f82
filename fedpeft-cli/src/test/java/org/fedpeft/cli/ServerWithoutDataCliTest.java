package org.fedpeft.cli;

import static org.fedpeft.cli.Deployments.line;
import static org.fedpeft.cli.Deployments.toml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.fedpeft.run.RunRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft server} with a config that names no training data ({@code data.labels} without
 * {@code data.file}): every client brings its own file ({@code client --data}), the server reads
 * none of them. Its config is the simulation's minus {@code data.file}; {@code simulate} of the
 * same config on the union of the clients' files ({@code data.partition = "natural"}, {@code
 * data.split = "none"}) trains every client on the same examples in the same order, so the two runs
 * end with the same metrics and the same adapter, byte for byte: evaluated on the clients' held-out
 * data only (federated evaluation) without a test file, on the server's own test file with {@code
 * data.test}. Processes are separate JVMs on 127.0.0.1 with mutual TLS, synchronised on the lines
 * they print.
 */
@Timeout(900)
class ServerWithoutDataCliTest {

  @TempDir Path tmp;

  private static final List<String> IDS = List.of("client-0", "client-1", "client-2");

  /** Each client's own file: 30 examples of client a, b (no example of t3) or c. */
  private List<Path> clientFiles() throws Exception {
    List<Path> files = new ArrayList<>();
    String[] clients = {"a", "b", "c"};
    for (int k = 0; k < 3; k++) {
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        int label = k == 1 ? i % 3 : (i * 7 + k) % 4;
        lines.add(
            line(Deployments.TOPICS[label] + " item " + k + "-" + i, "t" + label, clients[k]));
      }
      files.add(Files.write(tmp.resolve(clients[k] + ".jsonl"), lines));
    }
    return files;
  }

  /** The union of the clients' files, one after another: what {@code simulate} reads. */
  private Path union(List<Path> files) throws Exception {
    List<String> lines = new ArrayList<>();
    for (Path f : files) {
      lines.addAll(Files.readAllLines(f));
    }
    return Files.write(tmp.resolve("union.jsonl"), lines);
  }

  private Path testFile() throws Exception {
    List<String> test = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      test.add(line(Deployments.TOPICS[i % 4] + " test " + i, "t" + (i % 4), null));
    }
    return Files.write(tmp.resolve("test.jsonl"), test);
  }

  /**
   * The run's TOML: with {@code dataFile} for {@code simulate}, without it (null) for the server.
   */
  private Path config(String name, Path dataFile, Path testFile) throws Exception {
    Path model = tmp.resolve("tiny-model");
    if (!Files.isDirectory(model)) {
      CliRun.tinyModelFolder(model);
    }
    StringBuilder data = new StringBuilder();
    if (dataFile != null) {
      data.append("file = \"").append(toml(dataFile)).append("\"\n");
    }
    if (testFile != null) {
      data.append("test = \"").append(toml(testFile)).append("\"\n");
    }
    Path config = tmp.resolve(name);
    Files.writeString(
        config,
        """
        seed = 5
        rounds = 2
        clients = 3
        clients_per_round = 2

        [data]
        %slabels = ["t0", "t1", "t2", "t3"]
        partition = "natural"
        split = "none"

        %s
        %s"""
            .formatted(data, Deployments.modelSection(model), Deployments.LORA_AND_CLIENT));
    return config;
  }

  private Path certs() {
    return Deployments.certs(tmp.resolve("certs"), IDS);
  }

  /** Client {@code k} of the run named {@code run} as a process, with its file. */
  private Spawned client(int k, Path config, String address, Path file, Path certs, String run)
      throws Exception {
    return Spawned.client(
        run + "-client-" + k,
        Map.of(),
        config,
        address,
        IDS.get(k),
        certs,
        tmp.resolve(run + "-state-" + k),
        "--data",
        file.toString());
  }

  private static JsonObject json(Path file) throws Exception {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  /**
   * No test file anywhere: the rounds are evaluated on the clients' held-out data. The server's run
   * equals {@code simulate} on the union of the clients' files byte for byte (metrics.jsonl,
   * adapter); its summary and report say the evaluation is federated; the server never names a data
   * file; a client whose file has a label outside {@code data.labels} is refused with its file and
   * line.
   */
  @Test
  void aServerWithoutTheClientsDataEndsLikeTheSimulationOfTheirUnion() throws Exception {
    List<Path> files = clientFiles();
    Path simConfig = config("simulate.toml", union(files), null);
    Path serverConfig = config("server.toml", null, null);
    Path simulated = tmp.resolve("simulated");
    CliRun.Result sim = Deployments.simulate(simConfig, simulated);
    assertTrue(sim.out().contains("final accuracy (federated evaluation"), sim.out());
    // QA, 2 December: partition.json did not say which of the data's clients each client is
    JsonObject simClients = json(simulated.resolve("partition.json")).getAsJsonObject("clients");
    for (int k = 0; k < 3; k++) {
      assertEquals(
          String.valueOf("abc".charAt(k)),
          simClients.getAsJsonObject(IDS.get(k)).get("group").getAsString());
    }
    Path certs = certs();

    // a client file whose second line has a label the run does not have
    Path bad = Deployments.weatherFile(tmp.resolve("bad.jsonl"));

    Path deployed = tmp.resolve("deployed");
    List<Spawned> clients = new ArrayList<>();
    try (Spawned server = Spawned.server(serverConfig, deployed, certs)) {
      String address = server.address();
      // printed before the server listened
      String data = server.printedLine("server: the clients hold the training data");
      assertTrue(data.contains("this server reads none of it; labels [t0, t1, t2, t3]"), data);
      assertTrue(data.contains("evaluation: federated"), data);
      assertTrue(data.endsWith(" (fp32)"), data);

      Deployments.assertWeatherRefused(serverConfig, server, bad, certs, tmp.resolve("state-bad"));

      for (int k = 0; k < 3; k++) {
        clients.add(client(k, serverConfig, address, files.get(k), certs, "federated"));
      }
      assertEquals(0, server.waitFor(), server.output());
      for (Spawned client : clients) {
        assertEquals(0, client.waitFor(), client.output());
        assertTrue(client.output().contains("the run completed 2 rounds"), client.output());
      }
      assertTrue(server.output().contains("final accuracy (federated evaluation"), server.output());
      for (Path f : files) {
        assertFalse(server.output().contains(f.toString()), server.output());
      }
    } finally {
      for (Spawned client : clients) {
        client.close();
      }
    }
    Deployments.assertSameRun(simulated, deployed);

    String metrics = Files.readString(deployed.resolve("metrics.jsonl"));
    JsonObject last =
        JsonParser.parseString(metrics.strip().lines().toList().get(1)).getAsJsonObject();
    assertFalse(last.has("accuracy"), "no test split, so no global accuracy: " + last);
    assertEquals(3, last.getAsJsonObject("client_accuracy").size(), last.toString());
    assertTrue(last.has("client_loss_mean"), last.toString());

    JsonObject summary = json(deployed.resolve("summary.json"));
    JsonObject simSummary = json(simulated.resolve("summary.json"));
    assertEquals("server", summary.get("command").getAsString());
    // QA: the server's summary.json (and report.html's table) gave the config's data.partition,
    // which the server never reads: each client trains on its own file (only a node splitting its
    // --data file over its clients reads the partition, of its own config).
    assertFalse(summary.has("partition"), summary.toString());
    assertEquals("natural", simSummary.get("partition").getAsString());
    for (JsonObject s : List.of(summary, simSummary)) {
      assertEquals("federated", s.get("evaluation").getAsString(), s.toString());
      assertFalse(s.has("final_accuracy"), s.toString());
      assertEquals(2, s.get("final_eval_round").getAsInt(), s.toString());
    }
    for (String k :
        List.of(
            "final_client_accuracy_mean",
            "final_client_loss_mean",
            "final_client_accuracy",
            "eval_examples")) {
      assertEquals(simSummary.get(k), summary.get(k), k);
    }
    assertEquals(last.get("client_accuracy_mean"), summary.get("final_client_accuracy_mean"));

    JsonObject config = json(deployed.resolve("config.json"));
    assertEquals("", config.get("data.file").getAsString(), "the server names no data file");
    JsonObject manifestData = json(deployed.resolve("manifest.json")).getAsJsonObject("data");
    assertEquals(RunRecorder.HELD_BY_CLIENTS, manifestData.get("train").getAsString());
    assertEquals(RunRecorder.NO_TEST_SPLIT, manifestData.get("test").getAsString());
    assertEquals(0, manifestData.getAsJsonObject("files").size(), manifestData.toString());
    JsonObject partition = json(deployed.resolve("partition.json"));
    assertEquals(RunRecorder.HELD_BY_CLIENTS, partition.get("data").getAsString());
    assertEquals(IDS, List.copyOf(partition.getAsJsonObject("clients").keySet()));

    String report = Files.readString(deployed.resolve("report.html"));
    assertTrue(report.contains("</html>"), "the server's report renders");
    assertTrue(report.contains("Federated evaluation."), "the report says which evaluation");
    assertTrue(report.contains("Accuracy per round (federated evaluation: no test split)"));
    assertTrue(report.contains(RunRecorder.HELD_BY_CLIENTS));
  }

  /**
   * The server holds a test file of its own ({@code data.test}), and no training data: the rounds
   * are evaluated on it as {@code simulate} of the union with the same test file evaluates them.
   * The server is killed with SIGKILL after round 2 is aggregated but before it is checkpointed;
   * {@code server --resume} continues from round 1 (on the test file whose hash the run recorded),
   * the clients reconnect by themselves, and the run ends with the simulation's metrics and
   * adapter, byte for byte. The killed server is a process; the clients and the resumed server run
   * in this JVM ({@link #aServerWithoutTheClientsDataEndsLikeTheSimulationOfTheirUnion} has client
   * processes).
   */
  @Test
  void aServerWithItsOwnTestFileEvaluatesOnItAndResumes() throws Exception {
    List<Path> files = clientFiles();
    Path test = testFile();
    Path simConfig = config("simulate.toml", union(files), test);
    Path serverConfig = config("server.toml", null, test);
    Path simulated = tmp.resolve("simulated");
    Deployments.simulate(simConfig, simulated);
    Path certs = certs();
    Path deployed = tmp.resolve("deployed");
    String point = "round-2-before-checkpoint";
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      String address;
      List<Future<CliRun.Result>> clients = new ArrayList<>();
      try (Spawned server =
          Spawned.server(
              "server",
              Map.of(PausePoint.PROPERTY, point),
              Spawned.serverArgs(serverConfig, deployed, certs))) {
        address = server.address();
        String data = server.printedLine("server: the clients hold the training data");
        assertTrue(data.contains("evaluation: the global model on 24 test examples of"), data);
        for (int k = 0; k < 3; k++) {
          int client = k;
          clients.add(
              pool.submit(
                  () ->
                      Deployments.clientWithData(
                          serverConfig,
                          address,
                          IDS.get(client),
                          files.get(client),
                          certs,
                          tmp.resolve("resumed-state-" + client),
                          // they reconnect to the resumed server within 1 s of it listening
                          Spawned.RECONNECT_QUICKLY.toArray(new String[0]))));
        }
        server.awaitLine(PausePoint.message(point));
        server.kill();
      }
      // The running clients reconnect to the address they know: the resumed server must bind the
      // killed one's port, not a new one (it tries again while that port is still held).
      CliRun.Result resumed = CliRun.run(Spawned.resumeArgs(deployed, address, certs));
      String printed = resumed.out() + resumed.err();
      assertEquals(0, resumed.code(), printed);
      assertTrue(printed.contains("resuming " + deployed + " after round 1"), printed);
      assertTrue(printed.contains("final accuracy: "), printed);
      for (Future<CliRun.Result> f : clients) {
        CliRun.Result client = f.get(2, TimeUnit.MINUTES);
        assertEquals(0, client.code(), client.err());
        assertTrue(client.out().contains("the run completed 2 rounds"), client.out());
      }
    } finally {
      pool.shutdownNow();
    }
    Deployments.assertSameRun(simulated, deployed);
    JsonObject summary = json(deployed.resolve("summary.json"));
    JsonObject simSummary = json(simulated.resolve("summary.json"));
    assertEquals("global", summary.get("evaluation").getAsString());
    assertEquals(24, summary.get("test_examples").getAsInt());
    assertEquals(simSummary.get("final_accuracy"), summary.get("final_accuracy"));
    assertEquals(simSummary.get("final_loss"), summary.get("final_loss"));
    JsonObject manifestData = json(deployed.resolve("manifest.json")).getAsJsonObject("data");
    assertEquals(RunRecorder.HELD_BY_CLIENTS, manifestData.get("train").getAsString());
    assertEquals(
        List.of(test.toAbsolutePath().normalize().toString()),
        List.copyOf(manifestData.getAsJsonObject("files").keySet()));
  }

  /**
   * What a server without the clients' data needs is named when it is missing or wrong, before any
   * process connects: a data file the server does not have (pointing at data.labels), a data.test
   * without data.labels or data.file, a test label outside data.labels (its file and line); and the
   * commands that need the clients' examples refuse a config without them.
   */
  @Test
  void whatAServerWithoutDataNeedsIsNamed() throws Exception {
    List<Path> files = clientFiles();
    Path serverConfig = config("server.toml", null, null);
    Path nowhere = tmp.resolve("elsewhere").resolve("union.jsonl");

    CliRun.Result r =
        CliRun.run(
            "server",
            serverConfig.toString(),
            "--set",
            "data.file=" + nowhere,
            "--set",
            "data.labels=",
            "--out",
            tmp.resolve("s1").toString(),
            "--insecure");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("data.file = " + nowhere + ": no such file or folder on the server"),
        r.err());
    assertTrue(r.err().contains("data.labels = [...] (this config has no data.labels)"), r.err());
    assertFalse(Files.exists(tmp.resolve("s1")), "a refused start leaves no folder");

    r =
        CliRun.run(
            "server",
            serverConfig.toString(),
            "--set",
            "data.labels=",
            "--set",
            "data.test=" + files.get(0),
            "--out",
            tmp.resolve("s2").toString(),
            "--insecure");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("data.test needs data.file, or data.labels"), r.err());

    Path badTest =
        Files.write(
            tmp.resolve("bad-test.jsonl"),
            List.of(line("fruit apple", "t0", null), line("a cloud", "weather", null)));
    r =
        CliRun.run(
            "server",
            serverConfig.toString(),
            "--set",
            "data.test=" + badTest,
            "--out",
            tmp.resolve("s3").toString(),
            "--insecure");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                badTest + ":2: label \"weather\" is not one of the run's labels [t0, t1, t2, t3]"),
        r.err());

    r =
        CliRun.run(
            "server",
            serverConfig.toString(),
            "--set",
            "data.labels=t0,t1,t0",
            "--out",
            tmp.resolve("s4").toString(),
            "--insecure");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("data.labels = [t0, t1, t0] is invalid: distinct"), r.err());

    r = CliRun.run("simulate", serverConfig.toString(), "--out", tmp.resolve("sim").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("simulate needs the clients' examples"), r.err());

    r =
        CliRun.run(
            "client",
            serverConfig.toString(),
            "--server",
            "127.0.0.1:1",
            "--id",
            "client-0",
            "--insecure",
            "--state",
            tmp.resolve("state").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("give this client its examples with --data FILE"), r.err());

    // simulate of the union refuses a label that data.labels does not list, at its line
    Path union = union(files);
    r =
        CliRun.run(
            "simulate",
            config("simulate.toml", union, null).toString(),
            "--set",
            "data.labels=t0,t1,t2",
            "--out",
            tmp.resolve("sim2").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains(union + ":2: label \"t3\" is not one of the run's labels [t0, t1, t2]"),
        r.err());
  }
}
