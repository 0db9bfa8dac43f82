package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ServerState;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sample-level DP in {@code simulate} reports each client's epsilon from the updates ({@link
 * Simulation#REPORTED_EPSILON}); a run resumed from a checkpoint written before those were kept has
 * none for the rounds before it. A client that trained then but is not sampled after the resume
 * must still be reported with what its accountant (in the checkpoint's LOCAL state) spent, not 0:
 * epsilon must never be reported below what a client spent.
 */
class SampleDpEpsilonAfterOldCheckpointTest {

  @TempDir static Path tmp;

  /** {@link SampleDpSimulationTest}'s tiny model and data, in this class's folder. */
  @BeforeAll
  static void tinyModelAndData() throws Exception {
    SampleDpSimulationTest.tmp = tmp;
    SampleDpSimulationTest.tinyModelAndData();
  }

  @Test
  void aClientNotSampledAfterTheResumeKeepsTheEpsilonItsAccountantSpent() throws Exception {
    Path out = tmp.resolve("old-checkpoint");
    SimulationConfig config =
        SampleDpSimulationTest.config(
            Map.of(
                "privacy.mode", "sample",
                "privacy.sample.noise_multiplier", "1.3",
                "privacy.sample.clip_norm", "0.5"));
    TinyRuns.stopAfterRound(config, out, 2);
    // The checkpoint as a run before the reported epsilons were kept wrote it.
    RunCheckpoint saved = RunCheckpoint.load(out);
    ServerState.Builder b = saved.state().toBuilder();
    Set<String> trainedBefore = new TreeSet<>();
    for (String k : saved.state().extra().keySet()) {
      if (k.startsWith(Simulation.REPORTED_EPSILON)) {
        b.removeExtra(k);
        trainedBefore.add(k.substring(Simulation.REPORTED_EPSILON.length()));
      }
    }
    assertEquals(saved.local().keySet(), trainedBefore);
    new RunCheckpoint(b.build(), saved.metricLines(), saved.comm(), saved.local()).save(out);

    JsonObject summary;
    try (Simulation sim = Simulation.resume(out)) {
      summary = sim.run(new Simulation.Listener() {});
    }
    Map<String, ClientState> before = saved.local();
    Map<String, ClientState> after = RunCheckpoint.load(out).local();
    JsonObject perClient = summary.getAsJsonObject("epsilon_per_client");
    boolean oneNotSampledAgain = false;
    for (String id : perClient.keySet()) {
      ClientState st = after.getOrDefault(id, ClientState.EMPTY);
      assertEquals(SampleLevelDp.epsilon(st, 1e-5), perClient.get(id).getAsDouble(), 0, id);
      oneNotSampledAgain |= before.containsKey(id) && st.equals(before.get(id));
    }
    assertTrue(oneNotSampledAgain, "a client trained before the resume only: " + before.keySet());
  }
}
