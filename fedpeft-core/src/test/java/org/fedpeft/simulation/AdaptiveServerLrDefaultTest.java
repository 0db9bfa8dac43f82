package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 3 December: {@code server.learning_rate} defaulted to 1.0 for every server
 * optimiser, and fedadam, fedyogi and fedadagrad move each value by about eta a round whatever the
 * update's size (FedBE's loss reached 1e4 in two rounds). Unset, an adaptive optimiser now takes
 * 0.01 and fedavg/fedavgm keep 1.0; a value set is used as given; config.json records the value
 * used, so a run resumes with it.
 */
class AdaptiveServerLrDefaultTest {

  @TempDir Path tmp;

  private SimulationConfig load(String toml, Map<String, String> overrides) throws IOException {
    return SimulationConfig.load(Files.writeString(tmp.resolve("run.toml"), toml), overrides);
  }

  private static double recorded(SimulationConfig c) {
    return JsonParser.parseString(c.toJson())
        .getAsJsonObject()
        .get("server.learning_rate")
        .getAsDouble();
  }

  @Test
  void anAdaptiveOptimiserWithoutALearningRateTakesOneHundredth() throws IOException {
    for (String optimizer : new String[] {"fedadam", "fedyogi", "fedadagrad"}) {
      SimulationConfig c =
          load("rounds = 2\n[server]\noptimizer = \"" + optimizer + "\"\n", Map.of());
      assertEquals(0.01, c.serverLearningRate(), optimizer);
      assertEquals(0.01, c.server().learningRate(), optimizer);
      assertEquals(0.01, c.values().get("server.learning_rate"), optimizer);
      assertEquals(0.01, recorded(c), optimizer);
      // chosen with --set only
      SimulationConfig set = load("rounds = 2\n", Map.of("server.optimizer", optimizer));
      assertEquals(0.01, set.serverLearningRate(), optimizer);
    }
  }

  @Test
  void fedavgAndFedavgmKeepOne() throws IOException {
    assertEquals(1.0, load("rounds = 2\n", Map.of()).serverLearningRate());
    SimulationConfig m = load("rounds = 2\n[server]\noptimizer = \"fedavgm\"\n", Map.of());
    assertEquals(1.0, m.serverLearningRate());
    assertEquals(1.0, recorded(m));
  }

  @Test
  void aLearningRateSetIsUsedAsGiven() throws IOException {
    SimulationConfig file =
        load("rounds = 2\n[server]\noptimizer = \"fedadam\"\nlearning_rate = 1.0\n", Map.of());
    assertEquals(1.0, file.serverLearningRate());
    assertEquals(1.0, recorded(file));
    SimulationConfig set =
        load(
            "rounds = 2\n[server]\noptimizer = \"fedyogi\"\n",
            Map.of("server.learning_rate", "0.5"));
    assertEquals(0.5, set.serverLearningRate());
    SimulationConfig fedavg = load("rounds = 2\n[server]\nlearning_rate = 0.25\n", Map.of());
    assertEquals(0.25, fedavg.serverLearningRate());
  }

  /**
   * A run resumes with the value it used: the default recorded in its config.json, and 1.0 for a
   * run saved before this default (config.json always holds the key).
   */
  @Test
  void aSavedConfigRestoresTheValueItRecorded() throws IOException {
    SimulationConfig c = load("rounds = 2\n[server]\noptimizer = \"fedadam\"\n", Map.of());
    SimulationConfig restored = SimulationConfig.fromJson(c.toJson());
    assertEquals(0.01, restored.serverLearningRate());
    assertEquals(c.values(), restored.values());
    String old =
        c.toJson().replace("\"server.learning_rate\":0.01", "\"server.learning_rate\":1.0");
    assertEquals(1.0, SimulationConfig.fromJson(old).serverLearningRate());
  }
}
