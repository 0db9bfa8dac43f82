package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.privacy.SampleLevelDp;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every method whose client/server exchanges differ from FedIT's, run over gRPC with mutual TLS on
 * 127.0.0.1, ends as its simulation: Ravan (a budget's share of the heads per client, random and
 * gradient head selection), FedBE (blocks allocated by coverage with the clients' label counts, and
 * at random), the soft-embedding adapter, classifier-as-retriever (soft embeddings and a head made
 * from a corpus), FedEx-LoRA, FFA-LoRA, FedAdam, client-level DP (adaptive clipping; a budget that
 * stops the run) and sample-level DP (DP-SGD at the clients; a budget that runs out). FedIT's LoRA
 * and some of these methods also run on a bfloat16 frozen base ({@code model.precision = "bf16"})
 * on the server and on every client. Compared by {@link #assertSameRun}.
 */
@Timeout(600)
class DeployMethodsCliTest {

  @TempDir Path tmp;

  /**
   * Each case's sections of the run config (a {@code [client]} section here gets the common client
   * settings of {@link #config} added).
   */
  static final Map<String, String> SECTIONS =
      Map.ofEntries(
          Map.entry(
              "lora",
              """
              [adapter]
              method = "lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "fedit"
              """),
          Map.entry(
              "ravan-random",
              """
              [adapter]
              method = "ravan"
              heads = 2
              rank = 2
              head_selection = "random"
              targets = ["query", "value"]

              [client]
              budgets = "0.5"

              [server]
              strategy = "fedavg"
              weighting = "uniform"
              """),
          Map.entry(
              "ravan-gradient",
              """
              [adapter]
              method = "ravan"
              heads = 2
              rank = 2
              head_selection = "gradient"
              targets = ["query", "value"]

              [client]
              budgets = "0.5"

              [server]
              strategy = "fedavg"
              """),
          Map.entry(
              "fedbe",
              """
              [adapter]
              method = "fedbe"
              blocks = 2
              allocation = "coverage"

              [client]
              budgets = "skewed"

              [server]
              strategy = "fedbe"
              weighting = "examples"
              """),
          Map.entry(
              "fedbe-random",
              """
              [adapter]
              method = "fedbe"
              blocks = 2
              allocation = "random"

              [client]
              budgets = "0.5"

              [server]
              strategy = "fedbe"
              """),
          Map.entry(
              "softembed",
              """
              [adapter]
              method = "softembed"
              form = "lowrank"
              rank = 4

              [server]
              strategy = "fedavg"
              weighting = "examples"
              """),
          Map.entry(
              "fedsa-lora",
              """
              [adapter]
              method = "fedsa-lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "fedavg"
              """),
          Map.entry(
              "fedex-lora",
              """
              [adapter]
              method = "lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "fedex-lora"
              """),
          Map.entry(
              "ffa-lora",
              """
              [adapter]
              method = "lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "ffa-lora"
              """),
          Map.entry(
              "fedadam",
              """
              [adapter]
              method = "lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "fedit"
              optimizer = "fedadam"
              learning_rate = 1e-3
              """),
          Map.entry(
              "dp-client",
              """
              [adapter]
              method = "lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "fedit"

              [privacy]
              mode = "client"
              noise = "seeded"
              client.adaptive = true
              client.noise_multiplier = 0.5
              """),
          Map.entry(
              "dp-sample-stop",
              """
              [adapter]
              method = "lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "fedit"
              min_clients = 2

              [privacy]
              mode = "sample"
              noise = "seeded"
              epsilon = 10.0
              sample.noise_multiplier = 0.8
              """),
          Map.entry(
              "dp-client-stop",
              """
              [adapter]
              method = "lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "fedit"

              [privacy]
              mode = "client"
              noise = "seeded"
              epsilon = 8.0
              client.noise_multiplier = 1.0
              """),
          Map.entry(
              "car",
              """
              [head]
              init = "documents"

              [adapter]
              method = "softembed"
              form = "linear"

              [server]
              strategy = "fedavg"
              weighting = "examples"
              """),
          Map.entry(
              "dp-sample",
              """
              [adapter]
              method = "lora"
              rank = 2
              targets = ["query", "value"]

              [server]
              strategy = "fedit"

              [privacy]
              mode = "sample"
              noise = "seeded"
              epsilon = 30.0
              sample.noise_multiplier = 0.8
              """));

  /**
   * In {@code tmp}: the tiny model, 72 examples of three topics (for {@code car}, 72 queries of a
   * three-document corpus) split over 3 clients by a Dirichlet partition, and the config of the
   * case {@code method}: 3 rounds of 2 clients, 3 local steps of batch 4. Returns the config.
   */
  static Path config(Path tmp, String method) throws Exception {
    return config(tmp, method, SECTIONS.get(method));
  }

  /**
   * As {@link #config(Path, String)} with the run config's {@code sections} given (a {@code
   * [client]} section gets the common client settings added).
   */
  static Path config(Path tmp, String method, String sections) throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    List<String> lines = new ArrayList<>();
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim"};
    for (int i = 0; i < 72; i++) {
      lines.add("{\"text\": \"" + topics[i % 3] + " " + i + "\", \"label\": \"t" + (i % 3) + "\"}");
    }
    Path data = Files.write(tmp.resolve("data.jsonl"), lines);
    String corpus = "";
    if (method.equals("car")) {
      List<String> docs = new ArrayList<>();
      List<String> queries = new ArrayList<>();
      for (int d = 0; d < 3; d++) {
        docs.add("{\"id\": \"d" + d + "\", \"text\": \"" + topics[d] + " document\"}");
      }
      for (int i = 0; i < 72; i++) {
        queries.add(
            "{\"text\": \"" + topics[i % 3] + " " + i + "\", \"doc\": \"d" + (i % 3) + "\"}");
      }
      Path c = Files.write(tmp.resolve("corpus.jsonl"), docs);
      data = Files.write(tmp.resolve("data.jsonl"), queries);
      corpus = "corpus = \"" + c.toString().replace("\\", "\\\\") + "\"\n";
    }
    String client =
        """
        [client]
        local_steps = 3
        batch_size = 4
        learning_rate = 1e-2
        """;
    if (sections.contains("[client]")) {
      sections = sections.replace("[client]\n", client);
      client = "";
    }
    Path config = tmp.resolve("run.toml");
    Files.writeString(
        config,
        """
        seed = 11
        rounds = 3
        clients = 3
        clients_per_round = 2

        [data]
        file = "%s"
        partition = "dirichlet:0.5"
        max_eval = 24
        %s
        [model]
        name = "%s"

        %s
        %s
        """
            .formatted(
                data.toString().replace("\\", "\\\\"),
                corpus,
                model.toString().replace("\\", "\\\\"),
                sections,
                client));
    return config;
  }

  /**
   * A server and a {@code node} hosting the three clients, both in this JVM (each on its own
   * thread), against {@code simulate}; classifier-as-retriever runs in processes instead ({@link
   * #classifierAsRetrieverOverANodeProcessEqualsTheSimulation}).
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "ravan-random",
        "ravan-gradient",
        "fedbe",
        "fedbe-random",
        "softembed",
        "fedex-lora",
        "ffa-lora",
        "fedadam",
        "dp-client",
        "dp-client-stop",
        "dp-sample",
        "dp-sample-stop"
      })
  void aNodeHostingEveryClientEqualsTheSimulation(String method) throws Exception {
    Path config = config(tmp, method);
    Path simulated = simulate(config);
    Path deployed = runOnANode(config);
    assertSameRun(simulated, deployed);
    assertExercised(method, deployed);
    if (method.startsWith("dp-sample")) {
      // The epsilon the server reports for each client is the one the client's own accountant,
      // kept in its --state folder, holds.
      JsonObject perClient =
          JsonParser.parseString(Files.readString(deployed.resolve("summary.json")))
              .getAsJsonObject()
              .getAsJsonObject("epsilon_per_client");
      ClientStateStore store = ClientStateStore.onDisk(tmp.resolve("state"));
      for (String id : List.of("client-0", "client-1", "client-2")) {
        assertEquals(
            SampleLevelDp.epsilon(store.load(id).orElse(ClientState.EMPTY), 1e-5),
            perClient.get(id).getAsDouble(),
            0,
            id);
      }
    }
  }

  /**
   * Classifier-as-retriever, whose head the server makes from the corpus through the model: a
   * server process and a {@code node} process hosting the three clients, as a deployment has them.
   * The head is computed with gradient recording off whatever thread makes it ({@code
   * EmbeddingRetrieval.embed}; a server on a new thread of this JVM, where recording is on, made
   * another head before, in the last bits: {@code CorpusSimulationTest}).
   */
  @Test
  void classifierAsRetrieverOverANodeProcessEqualsTheSimulation() throws Exception {
    Path config = config(tmp, "car");
    Path simulated = simulate(config);
    Path certs = certs();
    Path deployed = tmp.resolve("deployed");
    try (Spawned server = Spawned.server(config, deployed, certs);
        Spawned node = Spawned.node(config, server.address(), 3, certs, tmp.resolve("state"))) {
      assertEquals(0, server.waitFor(), server.output());
      assertEquals(0, node.waitFor(), node.output());
    }
    assertSameRun(simulated, deployed);
  }

  /**
   * Classifier-as-retriever's head is made by the server from the corpus, so a server without the
   * clients' data ({@code data.labels}, no {@code data.file}) cannot serve it: it is refused before
   * it listens, naming the key and what to do, and leaves no folder.
   */
  @Test
  void aServerWithoutTheCorpusRefusesAHeadMadeFromIt() throws Exception {
    Path config = config(tmp, "car");
    Path out = tmp.resolve("refused");
    CliRun.Result r =
        CliRun.run(
            "server",
            config.toString(),
            "--set",
            "data.file=",
            "--set",
            "data.corpus=",
            "--set",
            "data.labels=d0,d1,d2",
            "--out",
            out.toString(),
            "--listen",
            Spawned.ANY_PORT,
            "--insecure");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "head.init = \"documents\" makes the head from the retrieval corpus, which the"
                    + " server must hold, and this server reads no data (data.labels without"
                    + " data.file)"),
        r.err());
    assertFalse(Files.exists(out), "a refused start leaves no folder");
  }

  /** A server process and one process per client, against {@code simulate}. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "ravan-random",
        "ravan-gradient",
        "fedbe",
        "fedbe-random",
        "softembed",
        "car",
        "fedex-lora",
        "ffa-lora",
        "fedadam",
        "dp-client",
        "dp-client-stop",
        "dp-sample",
        "dp-sample-stop"
      })
  @Tag("slow")
  void aServerAndClientProcessesEqualTheSimulation(String method) throws Exception {
    Path config = config(tmp, method);
    Path simulated = simulate(config);
    Path certs = certs();
    Path deployed = tmp.resolve("deployed");
    Spawned.runDeployment(config, deployed, certs, 3, tmp);
    assertSameRun(simulated, deployed);
    assertExercised(method, deployed);
  }

  /**
   * The server process killed with SIGKILL after round 2 is aggregated, before its checkpoint, and
   * resumed while the clients keep running ({@link DeployCliTest#killServerAndResume}): the run
   * still ends as its simulation. FedSA-LoRA's clients had saved their LOCAL B of round 2 in their
   * --state folders when the server died: the round run again must start from round 1's.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ravan-gradient", "fedbe", "fedsa-lora"})
  @Tag("slow")
  void aKilledServerResumesLikeTheSimulation(String method) throws Exception {
    Path config = config(tmp, method);
    Path simulated = simulate(config);
    Path resumed = DeployCliTest.killServerAndResume(tmp, config, new String[0], 3);
    assertSameRun(simulated, resumed);
    assertExercised(method, resumed);
  }

  /**
   * With the frozen base in bfloat16 ({@code model.precision = "bf16"} in the config that the
   * server, the node and the simulation read): FedIT's LoRA and Ravan's gradient head selection
   * (its scoring batch on the node's threads), as {@link
   * #aNodeHostingEveryClientEqualsTheSimulation}. Both runs computed in bf16 (summary.json).
   */
  @ParameterizedTest
  @ValueSource(strings = {"lora", "ravan-gradient"})
  void aNodeOnABf16BaseEqualsTheSimulation(String method) throws Exception {
    Path config = bf16(config(tmp, method));
    Path simulated = simulate(config);
    Path deployed = runOnANode(config);
    assertSameRun(simulated, deployed);
    assertExercised(method, deployed);
    assertBf16(simulated);
    assertBf16(deployed);
  }

  /** As {@link #aNodeOnABf16BaseEqualsTheSimulation}: soft embeddings and FedBE's blocks. */
  @ParameterizedTest
  @ValueSource(strings = {"softembed", "fedbe-random"})
  @Tag("slow")
  void aNodeOnABf16BaseEqualsTheSimulationForMoreMethods(String method) throws Exception {
    aNodeOnABf16BaseEqualsTheSimulation(method);
  }

  /**
   * A server process and one process per client on a bfloat16 frozen base, against {@code simulate}
   * in this JVM: FedIT's LoRA and Ravan's gradient head selection.
   */
  @ParameterizedTest
  @ValueSource(strings = {"lora", "ravan-gradient"})
  @Tag("slow")
  void aServerAndClientProcessesOnABf16BaseEqualTheSimulation(String method) throws Exception {
    assertBf16DeploymentIsTheSimulation(
        method,
        config -> {
          Path deployed = tmp.resolve("deployed");
          Spawned.runDeployment(config, deployed, certs(), 3, tmp);
          return deployed;
        });
  }

  /**
   * {@link #aKilledServerResumesLikeTheSimulation} on a bfloat16 frozen base: FedIT's LoRA and
   * Ravan's gradient head selection, the server killed before round 2's checkpoint and resumed
   * while the clients keep running.
   */
  @ParameterizedTest
  @ValueSource(strings = {"lora", "ravan-gradient"})
  @Tag("slow")
  void aKilledServerOnABf16BaseResumesLikeTheSimulation(String method) throws Exception {
    assertBf16DeploymentIsTheSimulation(
        method, config -> DeployCliTest.killServerAndResume(tmp, config, new String[0], 3));
  }

  /** A deployment of a config, returning its run folder. */
  @FunctionalInterface
  private interface Deployment {
    Path run(Path config) throws Exception;
  }

  /**
   * Runs {@code method} on a bfloat16 frozen base by {@code deployment} and by {@code simulate},
   * and asserts that the runs are the same ({@link #assertSameRun}), that the case did what it is
   * there for ({@link #assertExercised}) and that the deployed run used bf16.
   */
  private void assertBf16DeploymentIsTheSimulation(String method, Deployment deployment)
      throws Exception {
    Path config = bf16(config(tmp, method));
    Path simulated = simulate(config);
    Path deployed = deployment.run(config);
    assertSameRun(simulated, deployed);
    assertExercised(method, deployed);
    assertBf16(deployed);
  }

  /**
   * Rewrites the config at {@code config} with {@code precision = "bf16"} added to its {@code
   * [model]} section (the frozen base in bfloat16) and returns it.
   */
  static Path bf16(Path config) throws Exception {
    String text = Files.readString(config);
    assertTrue(text.contains("[model]\n"), text);
    Files.writeString(config, text.replace("[model]\n", "[model]\nprecision = \"bf16\"\n"));
    return config;
  }

  /** Asserts that the finished run in {@code run} computed on a bf16 frozen base (summary.json). */
  static void assertBf16(Path run) throws Exception {
    JsonObject summary =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    assertEquals("bf16", summary.get("precision").getAsString(), run.toString());
  }

  /**
   * Runs the server of {@code config} and a {@code node} hosting its three clients, both in this
   * JVM (each on its own thread), over mutual TLS into {@code tmp/deployed}; returns that folder.
   */
  private Path runOnANode(Path config) throws Exception {
    Path certs = certs();
    Path deployed = tmp.resolve("deployed");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CliRun.Serving serving = CliRun.server(pool, Spawned.serverArgs(config, deployed, certs));
      String address = serving.address();
      Future<CliRun.Result> server = serving.result();
      Future<CliRun.Result> node =
          pool.submit(
              () ->
                  CliRun.run(
                      "node",
                      config.toString(),
                      "--server",
                      address,
                      "--clients",
                      "3",
                      "--certs",
                      certs.toString(),
                      "--state",
                      tmp.resolve("state").toString()));
      CliRun.Result s = server.get(5, TimeUnit.MINUTES);
      assertEquals(0, s.code(), s.err());
      CliRun.Result n = node.get(1, TimeUnit.MINUTES);
      assertEquals(0, n.code(), n.err());
    } finally {
      pool.shutdownNow();
    }
    return deployed;
  }

  private Path simulate(Path config) {
    Path simulated = tmp.resolve("simulated");
    Deployments.simulate(config, simulated);
    return simulated;
  }

  private Path certs() {
    Path certs = tmp.resolve("certs");
    assertEquals(0, CliRun.run("certs", "--out", certs.toString(), "--population", "3").code());
    return certs;
  }

  /**
   * Asserts that the deployed run of {@code method} did what its case is there for, so that two
   * runs that both skipped it do not pass as equal: Ravan's clients trained a subset of heads,
   * FedBE's server assigned blocks, a DP budget stopped the run, sample-level DP reported epsilons.
   */
  static void assertExercised(String method, Path deployed) throws Exception {
    String metrics = Files.readString(deployed.resolve("metrics.jsonl"));
    JsonObject summary =
        JsonParser.parseString(Files.readString(deployed.resolve("summary.json")))
            .getAsJsonObject();
    if (method.startsWith("ravan")) {
      assertTrue(metrics.contains("\"client_adapter\""), metrics);
    }
    if (method.startsWith("fedbe")) {
      assertTrue(metrics.contains("\"fedbe.blocks.client-"), metrics);
    }
    if (method.endsWith("-stop")) {
      assertTrue(summary.has("stopped_early"), summary.toString());
    }
    if (method.startsWith("dp-sample")) {
      for (var e : summary.getAsJsonObject("epsilon_per_client").entrySet()) {
        assertTrue(e.getValue().getAsDouble() > 0, e.toString());
      }
    }
  }

  /**
   * summary.json keys that legitimately differ between a simulation and a deployment ({@code
   * client_adapters_dir}: a simulation of a method with LOCAL tensors saves each client's own
   * model, while a deployed server never holds those tensors).
   */
  static final Set<String> RUN_SPECIFIC =
      Set.of(
          "command",
          "adapter_dir",
          "client_adapters_dir",
          "seconds_this_process",
          "client_fit_seconds_this_process");

  /**
   * Asserts that a deployed run ended as its simulation: metrics.jsonl equal line by line (but for
   * the {@code node ID: } that a remote client's decline reason starts with, docs/deployment.md),
   * summary.json equal but for {@link #RUN_SPECIFIC} (and {@code "command": "server"}), and every
   * file of the adapter folder equal byte for byte.
   */
  static void assertSameRun(Path simulated, Path deployed) throws Exception {
    List<String> sim = Files.readAllLines(simulated.resolve("metrics.jsonl"));
    List<String> dep = Files.readAllLines(deployed.resolve("metrics.jsonl"));
    assertEquals(sim.size(), dep.size(), "metrics.jsonl lines:\n" + sim + "\n" + dep);
    for (int i = 0; i < sim.size(); i++) {
      assertEquals(
          sim.get(i),
          dep.get(i).replaceAll("\"reason\":\"node client-\\d+: ", "\"reason\":\""),
          "metrics.jsonl line " + (i + 1));
    }
    JsonObject a =
        JsonParser.parseString(Files.readString(simulated.resolve("summary.json")))
            .getAsJsonObject();
    JsonObject b =
        JsonParser.parseString(Files.readString(deployed.resolve("summary.json")))
            .getAsJsonObject();
    assertEquals("server", b.get("command").getAsString());
    for (String k : RUN_SPECIFIC) {
      a.remove(k);
      b.remove(k);
    }
    assertEquals(a, b, "summary.json");
    List<Path> files;
    try (var walk = Files.walk(simulated.resolve("adapter"))) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertTrue(files.size() >= 2, files.toString());
    for (Path f : files) {
      Path rel = simulated.relativize(f);
      assertArrayEquals(
          Files.readAllBytes(f), Files.readAllBytes(deployed.resolve(rel)), rel.toString());
    }
  }
}
