package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Methods with LOCAL client state over the network: FedDPA-T (a local LoRA and cached anchors,
 * LOCAL), FedSA-LoRA (B LOCAL) and the test-only method {@code toy} (fedpeft-core's test classes,
 * org.fedpeft.toy: a GLOBAL, a LOCAL, a ROUND and a FROZEN_SHARED tensor, the GLOBAL one trained on
 * top of the LOCAL one), run over 127.0.0.1 with mutual TLS, end with the simulation's metrics and
 * adapter, byte for byte, and each client's stored LOCAL state equals the one the simulation's
 * checkpoint holds for it. FedSA-LoRA runs with a server process and three client processes, each
 * client keeping its LOCAL tensors in its own {@code --state} folder; FedDPA-T and {@code toy} with
 * the server in this JVM and a {@code node} process hosting the three clients, which keeps their
 * LOCAL tensors in its {@code --state} folder.
 */
@Timeout(600)
class DeployLocalStateCliTest {

  @TempDir Path tmp;

  /**
   * The adapter and server sections of each method's run (FedSA-LoRA's are {@link
   * DeployMethodsCliTest}'s).
   */
  private static final Map<String, String> SECTIONS =
      Map.of(
          "toy",
          """
          [adapter]
          method = "toy"

          [server]
          strategy = "fedavg"
          """,
          "feddpa",
          """
          [adapter]
          method = "feddpa"
          variant = "T"
          rank = 2
          targets = ["query", "value"]

          [server]
          strategy = "fedit"
          """,
          "fedsa-lora",
          DeployMethodsCliTest.SECTIONS.get("fedsa-lora"));

  @ParameterizedTest
  @ValueSource(strings = {"toy", "feddpa", "fedsa-lora"})
  void aMethodWithLocalStateOverTheNetworkEqualsTheSimulation(String method) throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    List<String> lines = new ArrayList<>();
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim"};
    for (int i = 0; i < 72; i++) {
      lines.add("{\"text\": \"" + topics[i % 3] + " " + i + "\", \"label\": \"t" + (i % 3) + "\"}");
    }
    Path data = Files.write(tmp.resolve("data.jsonl"), lines);
    Path config = tmp.resolve("run.toml");
    Files.writeString(
        config,
        """
        seed = 11
        rounds = 4
        clients = 3
        clients_per_round = 2

        [data]
        file = "%s"
        partition = "iid"
        max_eval = 24

        [model]
        name = "%s"

        %s
        [client]
        local_steps = 3
        batch_size = 4
        learning_rate = 1e-2
        """
            .formatted(
                data.toString().replace("\\", "\\\\"),
                model.toString().replace("\\", "\\\\"),
                SECTIONS.get(method)));
    Path simulated = tmp.resolve("simulated");
    Deployments.simulate(config, simulated);

    Path certs = tmp.resolve("certs");
    assertEquals(0, CliRun.run("certs", "--out", certs.toString(), "--population", "3").code());
    Path deployed = tmp.resolve("deployed");
    boolean clientProcesses = method.equals("fedsa-lora");
    if (clientProcesses) {
      Spawned.runDeployment(config, deployed, certs, 3, tmp);
    } else {
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        CliRun.Serving serving = CliRun.server(pool, Spawned.serverArgs(config, deployed, certs));
        try (Spawned node =
            Spawned.node(config, serving.address(), 3, certs, tmp.resolve("state"))) {
          CliRun.Result server = serving.result().get(5, TimeUnit.MINUTES);
          assertEquals(0, server.code(), server.err());
          assertEquals(0, node.waitFor(), node.output());
        }
      } finally {
        pool.shutdownNow();
      }
    }
    Deployments.assertSameRun(
        simulated, deployed, "adapter/adapter.safetensors", "adapter/head.safetensors");

    // QA: the server's report named the clients' mean generically, the simulation's as the mean
    // of each client's own model; both now say the latter, from summary.json.
    for (Path run : List.of(simulated, deployed)) {
      String summary = Files.readString(run.resolve("summary.json"));
      assertTrue(
          com.google.gson.JsonParser.parseString(summary)
              .getAsJsonObject()
              .get("clients_keep_local_tensors")
              .getAsBoolean(),
          run + ": " + summary);
      String report = Files.readString(run.resolve("report.html"));
      assertTrue(
          report.contains("mean over clients' held-out data, each client's own model"),
          run + "'s report.html");
    }

    Map<String, ClientState> simulatedLocal = RunCheckpoint.load(simulated).local();
    assertFalse(simulatedLocal.isEmpty(), "the simulated clients kept LOCAL state");
    assertTrue(
        RunCheckpoint.load(deployed).local().isEmpty(),
        "the server's checkpoint holds no client's LOCAL state");
    for (int k = 0; k < 3; k++) {
      String id = "client-" + k;
      Path state = clientProcesses ? tmp.resolve("state-" + k) : tmp.resolve("state");
      ClientState remote = ClientStateStore.onDisk(state).load(id).orElse(ClientState.EMPTY);
      ClientState local = simulatedLocal.getOrDefault(id, ClientState.EMPTY);
      assertEquals(local.tensors().keySet(), remote.tensors().keySet(), id);
      for (Map.Entry<String, HostTensor> e : local.tensors().entrySet()) {
        assertArrayEquals(
            e.getValue().data(), remote.tensors().get(e.getKey()).data(), id + " " + e.getKey());
      }
      assertEquals(local.values(), remote.values(), id);
    }
    assertTrue(
        simulatedLocal.values().stream().anyMatch(s -> !s.tensors().isEmpty()),
        method + " kept LOCAL tensors");

    if (method.equals("fedsa-lora")) {
      // QA, 2 December: a --state folder of an earlier run was loaded into a new run without a
      // word, and a client whose config gives it other data (another seed) joined.
      try (Spawned again =
          Spawned.server(
              "server-again",
              Map.of(),
              Spawned.serverArgs(config, tmp.resolve("deployed-again"), certs))) {
        String address = again.address();
        CliRun.Result stale =
            CliRun.run(
                Spawned.clientArgs(config, address, "client-0", certs, tmp.resolve("state-0")));
        assertEquals(2, stale.code(), stale.err());
        assertTrue(
            stale.err().contains("holds the LOCAL client state of another run"), stale.err());
        CliRun.Result other =
            CliRun.run(
                Spawned.clientArgs(
                    config,
                    address,
                    "client-1",
                    certs,
                    tmp.resolve("state-fresh"),
                    "--set",
                    "seed=12"));
        assertEquals(2, other.code(), other.err());
        assertTrue(
            other.err().contains("the server's run gives this client other examples"), other.err());
      }
      // QA, 2 December: resuming a finished server run waited for every node, then failed. A
      // finished run is not run again: its resume only tells the run's nodes that it is over
      // (ServerFinishedResumeCliTest), here for no time at all.
      CliRun.Result finished =
          CliRun.run(
              "server",
              "--resume",
              deployed.toString(),
              "--listen",
              Spawned.ANY_PORT,
              "--certs",
              certs.toString(),
              "--wait-seconds",
              "0");
      assertEquals(0, finished.code(), finished.err());
      assertTrue(finished.err().contains("the run is finished: telling"), finished.err());
      assertFalse(finished.err().contains("resuming"), finished.err());
      assertFalse(finished.err().contains("waiting for"), finished.err());
    }
  }
}
