package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * FedDPA-T with client.local_steps = 1 was accepted, ran its first round and then failed every
 * client of round 2 ("2 training phases need at least 2 local steps, got 1", naming no key); the
 * config is now refused up front, naming client.local_steps and why.
 */
class MinLocalStepsConfigTest {

  @Test
  void feddpaTWithOneLocalStepIsRefusedNamingTheKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("adapter.method", "feddpa", "client.local_steps", 1L),
                    Map.of(),
                    "run.toml"));
    assertEquals(
        "run.toml: client.local_steps = 1 is too few for adapter.method = \"feddpa\": with"
            + " adapter.variant = \"T\" every round from the second trains the local adapter and"
            + " then the global one, at least one step each (adapter.variant = \"F\" trains in one"
            + " phase); give client.local_steps >= 2",
        e.getMessage());
    ConfigException set =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("adapter.method", "feddpa"),
                    Map.of("client.local_steps", "1"),
                    "run.toml"));
    // where both keys came from
    assertTrue(
        set.getMessage().startsWith("--set, run.toml: client.local_steps = 1 is too few"),
        set.getMessage());
  }

  @Test
  void twoStepsOrVariantFOrAnotherMethodRunWithFewSteps() {
    SimulationConfig.of(
        Map.of("adapter.method", "feddpa", "client.local_steps", 2L), Map.of(), "run.toml");
    SimulationConfig.of(
        Map.of("adapter.method", "feddpa", "adapter.variant", "F", "client.local_steps", 1L),
        Map.of(),
        "run.toml");
    for (String method : new String[] {"lora", "ravan", "fedbe", "softembed", "none"}) {
      SimulationConfig.of(
          Map.of("adapter.method", method, "client.local_steps", 1L), Map.of(), "run.toml");
    }
  }
}
