package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * Ravan's head_selection = "gradient" with privacy.mode = "sample" was accepted: each client chose
 * the heads it trains and sends from the gradient norms of one mini-batch of its data computed
 * without noise, which the DP-SGD accountant does not count, so the reported epsilon did not cover
 * what the client released. The config is now refused, naming the option and the mode.
 */
class SampleDpGradientProbeConfigTest {

  @Test
  void ravanGradientSelectionUnderSampleDpIsRefused() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of(
                        "adapter.method", "ravan",
                        "adapter.head_selection", "gradient",
                        "client.budgets", "0.5",
                        "privacy.mode", "sample"),
                    Map.of(),
                    "run.toml"));
    assertEquals(
        "run.toml: adapter.method = \"ravan\" with adapter.head_selection = \"gradient\" computes"
            + " gradients on each client's data without noise to decide what the client trains and"
            + " sends, which privacy.mode = \"sample\" does not account for: its accountant counts"
            + " the DP-SGD steps only (use privacy.mode = \"client\", or change those options)",
        e.getMessage());
  }

  @Test
  void otherSelectionsAndOtherModesRun() {
    for (String selection : new String[] {"random", "weight"}) {
      SimulationConfig.of(
          Map.of(
              "adapter.method", "ravan",
              "adapter.head_selection", selection,
              "client.budgets", "0.5",
              "privacy.mode", "sample"),
          Map.of(),
          "run.toml");
    }
    for (String mode : new String[] {"none", "client"}) {
      SimulationConfig.of(
          Map.of(
              "adapter.method",
              "ravan",
              "adapter.head_selection",
              "gradient",
              "client.budgets",
              "0.5",
              "privacy.mode",
              mode),
          Map.of(),
          "run.toml");
    }
  }
}
