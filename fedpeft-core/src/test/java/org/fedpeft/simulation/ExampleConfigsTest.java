package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every config in examples/ is valid (every key known, every value in range). */
class ExampleConfigsTest {

  @Test
  void everyExampleConfigLoads() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(Path.of("..", "examples"))) {
      files = s.filter(p -> p.toString().endsWith(".toml")).sorted().toList();
    }
    assertTrue(files.size() >= 5, files.toString());
    for (Path f : files) {
      SimulationConfig.load(f, Map.of());
    }
    SimulationConfig dp =
        SimulationConfig.load(Path.of("..", "examples", "dp-sample-noun-topic.toml"), Map.of());
    assertEquals("sample", dp.privacyMode());
    assertEquals(8.0, dp.privacyEpsilon());
    // The main run's settings, so that the accuracies compare.
    SimulationConfig main =
        SimulationConfig.load(Path.of("..", "examples", "fedit-noun-topic.toml"), Map.of());
    for (String k : main.keys()) {
      if (!k.startsWith("privacy.") && !k.equals("client.learning_rate")) {
        assertEquals(main.values().get(k), dp.values().get(k), k);
      }
    }
  }

  /**
   * Docs audit, 4 December: docs/methods.md runs the Ravan example with {@code --set
   * adapter.factors=FILE}, which the example refused while it also set {@code adapter.init} (the
   * default, made inert by the factors file). The example now leaves init at its default.
   */
  @Test
  void theRavanExampleTakesAFactorsFileAsMethodsMdRunsIt() throws Exception {
    SimulationConfig ravan =
        SimulationConfig.load(
            Path.of("..", "examples", "ravan-noun-topic.toml"),
            Map.of("adapter.factors", "/tmp/ravan-factors.safetensors"));
    assertEquals("ravan", ravan.values().get("adapter.method"));
  }
}
