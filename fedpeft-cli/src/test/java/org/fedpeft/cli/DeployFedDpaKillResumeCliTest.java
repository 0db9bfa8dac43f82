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
import java.util.Set;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * FedDPA over the network, the server killed with SIGKILL at {@code round-2-after-metrics} (round 2
 * checkpointed before its evaluation, then evaluated on the clients, which personalised for it and
 * saved their LOCAL state, and its metrics line written) and resumed while the three clients keep
 * running ({@link DeployCliTest#killServerAndResume}): the resumed server evaluates round 2 again
 * on clients that already personalised for it ({@code Adapter.personalise} called a second time on
 * what it left), so the run ends as an uninterrupted deployed run and as its simulation: the same
 * metrics.jsonl, summary.json figures, adapter and server checkpoint files, and each client's LOCAL
 * state (local adapter, anchors and their examples, status) in its {@code --state} folder. Both
 * variants: T (the local adapter trained in each round, anchors embedded at evaluation) and F (the
 * local adapter fine-tuned from the global one at evaluation). The configs are {@link
 * DeployMethodsCliTest}'s: 3 rounds of 2 of 3 clients, every round evaluated.
 */
@Timeout(900)
class DeployFedDpaKillResumeCliTest {

  @TempDir Path tmp;

  /** The summary.json fields a process's own timing or folder gives, not the run. */
  private static final Set<String> PER_PROCESS =
      Set.of("seconds_this_process", "client_fit_seconds_this_process", "adapter_dir");

  @ParameterizedTest
  @ValueSource(strings = {"T", "F"})
  @Tag("slow")
  void aServerKilledAfterRoundTwosEvaluationResumesToTheUninterruptedRun(String variant)
      throws Exception {
    Path config =
        DeployMethodsCliTest.config(
            tmp,
            "feddpa",
            """
            [adapter]
            method = "feddpa"
            variant = "%s"
            rank = 2
            targets = ["query", "value"]

            [server]
            strategy = "fedit"

            [eval]
            every = 1
            """
                .formatted(variant));
    Path simulated = tmp.resolve("simulated");
    CliRun.Result sim = CliRun.run("simulate", config.toString(), "--out", simulated.toString());
    assertEquals(0, sim.code(), sim.err());

    List<String> released = new ArrayList<>();
    Path resumed =
        DeployCliTest.killServerAndResume(
            tmp, config, new String[0], 3, "round-2-after-metrics", 2, released);
    assertEquals(2, released.size(), "the killed server wrote round 2's line: " + released);

    Path uninterrupted = tmp.resolve("uninterrupted");
    Path states = Files.createDirectories(tmp.resolve("uninterrupted-states"));
    Spawned.runDeployment(config, uninterrupted, tmp.resolve("certs"), 3, states);

    String metrics = Files.readString(uninterrupted.resolve("metrics.jsonl"));
    assertEquals(metrics, Files.readString(resumed.resolve("metrics.jsonl")));
    assertEquals(metrics, Files.readString(simulated.resolve("metrics.jsonl")));
    assertEquals(
        released,
        Files.readAllLines(resumed.resolve("metrics.jsonl")).subList(0, 2),
        "round 2's line as the killed server wrote it");

    JsonObject expected = figures(uninterrupted);
    assertEquals(expected, figures(resumed));
    assertEquals(3, expected.get("rounds").getAsInt(), expected.toString());

    List<String> files = KillResume.compared(uninterrupted);
    assertEquals(files, KillResume.compared(resumed));
    assertTrue(files.contains("adapter/adapter.safetensors"), files.toString());
    for (String f : files) {
      assertEquals(
          -1L,
          Files.mismatch(uninterrupted.resolve(f), resumed.resolve(f)),
          f + " differs after the resume");
    }
    for (String f : List.of("adapter/adapter.safetensors", "adapter/head.safetensors")) {
      assertEquals(-1L, Files.mismatch(simulated.resolve(f), resumed.resolve(f)), f);
    }

    Map<String, ClientState> simulatedLocal = RunCheckpoint.load(simulated).local();
    assertTrue(
        simulatedLocal.values().stream().anyMatch(s -> !s.tensors().isEmpty()),
        "the clients kept LOCAL tensors");
    for (int k = 0; k < 3; k++) {
      String id = "client-" + k;
      ClientState expectedState = simulatedLocal.getOrDefault(id, ClientState.EMPTY);
      assertSameState(expectedState, stored(states.resolve("state-" + k), id), id);
      assertSameState(expectedState, stored(tmp.resolve("state-resume-" + id), id), id);
    }
  }

  /** summary.json without {@link #PER_PROCESS}. */
  private static JsonObject figures(Path run) throws Exception {
    JsonObject s =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    PER_PROCESS.forEach(s::remove);
    return s;
  }

  private static ClientState stored(Path state, String id) throws Exception {
    return ClientStateStore.onDisk(state).load(id).orElse(ClientState.EMPTY);
  }

  private static void assertSameState(ClientState expected, ClientState actual, String id) {
    assertEquals(expected.tensors().keySet(), actual.tensors().keySet(), id);
    for (Map.Entry<String, HostTensor> e : expected.tensors().entrySet()) {
      assertArrayEquals(
          e.getValue().data(), actual.tensors().get(e.getKey()).data(), id + " " + e.getKey());
    }
    assertEquals(expected.values(), actual.values(), id);
  }
}
