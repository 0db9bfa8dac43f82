package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 3 December: a server.strategy that cannot run the adapter method (FedEx-LoRA
 * with Ravan, FedBE's strategy with LoRA) was refused only when the strategy was made, after the
 * model had loaded and the run folder had been created. The config refuses it now, naming both keys
 * with where they were set, and what would run.
 */
class StrategyAdapterRefusedTest {

  @TempDir Path tmp;

  private Path write(String toml) throws IOException {
    return Files.writeString(tmp.resolve("run.toml"), toml);
  }

  @Test
  void ravanUnderFedexLoraIsRefusedByTheConfig() throws IOException {
    Path f =
        write("rounds = 2\n[adapter]\nmethod = \"ravan\"\n[server]\nstrategy = \"fedex-lora\"\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(
        f
            + ":5, "
            + f
            + ":3: server.strategy = fedex-lora needs adapter.method = lora, got ravan (with"
            + " adapter.method = \"ravan\" use server.strategy = fedavg or fedit;"
            + " server.strategy = \"fedex-lora\" runs adapter.method = lora)",
        e.getMessage());
  }

  @Test
  void fedbeUnderFedexLoraAndLoraUnderFedbeAreRefused() throws IOException {
    Path f = write("rounds = 2\n[adapter]\nmethod = \"fedbe\"\n");
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.load(f, Map.of("server.strategy", "fedex-lora")));
    assertEquals(
        "--set, "
            + f
            + ":3: server.strategy = fedex-lora needs adapter.method = lora, got fedbe (with"
            + " adapter.method = \"fedbe\" use server.strategy = fedavg, fedbe or fedit;"
            + " server.strategy = \"fedex-lora\" runs adapter.method = lora)",
        e.getMessage());
    ConfigException lora =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("rounds", 2L, "server.strategy", "fedbe"), Map.of(), "run.toml"));
    assertEquals(
        "run.toml: server.strategy = fedbe needs adapter.method = fedbe, got lora (with"
            + " adapter.method = \"lora\" use server.strategy = fedavg, fedex-lora, fedit,"
            + " ffa-lora, flexlora or hetlora; server.strategy = \"fedbe\" runs adapter.method ="
            + " fedbe)",
        lora.getMessage());
  }

  /**
   * fedsa-lora shares A alone, which fedit (the default strategy) refuses in every update; it was
   * refused only once the model had loaded (the strategy's first look at the tensors).
   */
  @Test
  void fedsaLoraUnderFeditIsRefusedByTheConfig() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("rounds", 2L), Map.of("adapter.method", "fedsa-lora"), "run.toml"));
    // (the list of methods goes on with any registered by the tests)
    assertTrue(
        e.getMessage()
            .startsWith(
                "--set: server.strategy = fedit aggregates each module's LoRA A and B together,"
                    + " but adapter.method = fedsa-lora shares A alone (the other factor stays on"
                    + " each client), so every update would be refused (with adapter.method ="
                    + " \"fedsa-lora\" use server.strategy = fedavg; server.strategy = \"fedit\""
                    + " runs adapter.method = fed-sb, fedbe, feddpa, fedlora, lora, none, ravan,"
                    + " softembed"),
        e.getMessage());
  }

  /** An option the strategy refuses is named with where it was set. */
  @Test
  void anOptionTheStrategyRefusesIsNamed() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("rounds", 2L, "adapter.train_a", false),
                    Map.of("server.strategy", "hetlora"),
                    "run.toml"));
    assertEquals(
        "--set, run.toml: server.strategy = hetlora trains A and B; it needs adapter.train_a ="
            + " true (with adapter.method = \"lora\" and these options use server.strategy ="
            + " fedavg, fedex-lora, fedit or ffa-lora; server.strategy = \"hetlora\" runs"
            + " adapter.method = lora)",
        e.getMessage());
  }

  @Test
  void methodsAStrategyRunsStillLoad() {
    SimulationConfig c =
        SimulationConfig.of(
            Map.of("rounds", 2L, "adapter.method", "ravan"),
            Map.of("server.strategy", "fedavg"),
            "run.toml");
    assertEquals("fedavg", c.strategy());
    assertEquals(
        "ffa-lora",
        SimulationConfig.of(Map.of("rounds", 2L), Map.of("server.strategy", "ffa-lora"), "x")
            .strategy());
  }
}
