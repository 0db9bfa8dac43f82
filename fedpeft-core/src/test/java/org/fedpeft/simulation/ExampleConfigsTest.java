package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.run.SimulationConfig;
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

  /**
   * Docs journey, 5 December: the Ravan example said to uncomment {@code budgets = "skewed"} and
   * {@code head_selection = "gradient"}, but both commented lines stood in {@code [client]}, so
   * uncommenting them as they stood gave the unknown key {@code client.head_selection}. The two
   * lines, uncommented where they now stand, give a config that loads with both settings.
   */
  @Test
  void uncommentingTheRavanExamplesOptionalKeysAsTheyStandLoads() throws Exception {
    Path ravan = Path.of("..", "examples", "ravan-noun-topic.toml");
    String text = Files.readString(ravan);
    String uncommented =
        text.replace("# budgets = \"skewed\"", "budgets = \"skewed\"")
            .replace("# head_selection = \"gradient\"", "head_selection = \"gradient\"");
    assertTrue(uncommented.contains("\nbudgets = \"skewed\""), text);
    assertTrue(uncommented.contains("\nhead_selection = \"gradient\""), text);
    Path copy = Files.createTempFile("ravan-uncommented", ".toml");
    try {
      Files.writeString(copy, uncommented);
      SimulationConfig c = SimulationConfig.load(copy, Map.of());
      assertEquals("skewed", c.values().get("client.budgets"));
      assertEquals("gradient", c.values().get("adapter.head_selection"));
    } finally {
      Files.delete(copy);
    }
  }
}
