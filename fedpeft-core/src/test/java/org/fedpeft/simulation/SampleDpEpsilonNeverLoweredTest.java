package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.client.PeftClient;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over the network a server learns each client's sample-level epsilon only from its updates ({@link
 * PeftClient#SAMPLE_EPSILON_METRIC}). A client's accountant only grows, so a lower epsilon than an
 * earlier update's means its accountant started again (a node given an empty {@code --state}); the
 * updates it released before still cost what they cost, so the server keeps the higher epsilon
 * rather than reporting the client's privacy loss as smaller than what it already reported.
 */
class SampleDpEpsilonNeverLoweredTest {

  @TempDir static Path tmp;

  /** {@link SampleDpSimulationTest}'s tiny model and data, in this class's folder. */
  @BeforeAll
  static void tinyModelAndData() throws Exception {
    SampleDpSimulationTest.tmp = tmp;
    SampleDpSimulationTest.tinyModelAndData();
  }

  /**
   * A remote client as the server sees it: replies with the tensors it was sent, reporting epsilon
   * 5 in round 1 and 1 afterwards (its accountant lost).
   */
  private static ClientApp forgetful(String id) {
    return new ClientApp() {
      @Override
      public ClientUpdate fit(FitInstructions in) {
        double eps = in.round() == 1 ? 5.0 : 1.0;
        return new ClientUpdate(
            id, in.tensors(), 10, Map.of(PeftClient.SAMPLE_EPSILON_METRIC, eps), Map.of());
      }
    };
  }

  @Test
  void aLowerEpsilonThanAnEarlierUpdatesIsNotReported() throws Exception {
    Path out = tmp.resolve("run");
    SimulationConfig config =
        SampleDpSimulationTest.config(
            Map.of(
                "rounds", "2",
                "clients", "2",
                "clients_per_round", "2",
                "eval.every", "1",
                "privacy.mode", "sample",
                "privacy.sample.noise_multiplier", "1.3",
                "privacy.sample.clip_norm", "0.5"));
    JsonObject summary;
    try (Simulation sim = Simulation.create(config, out)) {
      summary = sim.run(new Simulation.Listener() {}, c -> forgetful(c.id()));
    }
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, lines.size(), lines.toString());
    for (String l : lines) {
      assertEquals(5.0, JsonParser.parseString(l).getAsJsonObject().get("epsilon").getAsDouble());
    }
    JsonObject perClient = summary.getAsJsonObject("epsilon_per_client");
    assertEquals(2, perClient.size());
    for (String id : perClient.keySet()) {
      assertEquals(5.0, perClient.get(id).getAsDouble(), id);
    }
    assertEquals(5.0, summary.get("epsilon").getAsDouble());
  }
}
