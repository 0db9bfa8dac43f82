package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * QA of the methods, 4 December: simulate accepted adapter options that the strategy or the budgets
 * make inert. FedBE's allocation, coverage_decay and depth_weight tune the block allocation that
 * only server.strategy = "fedbe" makes (under another strategy every client trains every block, as
 * ExpansionAdapter.beginRound does without a block list); Ravan's head_selection with more than one
 * head picks the heads a client with a budget below 1 trains, and without client.budgets every
 * client has budget 1 (RavanAdapter.trainableThisRound then takes every head, scoring and probing
 * nothing). A new config refuses them, naming the option and the key that makes it inert
 * (AdapterMethod.inertOptions(options, Federation)); a saved config.json still loads.
 */
class FederationInertAdapterOptionsTest {

  private static ConfigException refused(Map<String, Object> file) {
    return assertThrows(
        ConfigException.class, () -> SimulationConfig.of(file, Map.of(), "run.toml"));
  }

  @Test
  void fedBeAllocationOptionsUnderAnotherStrategyAreRefused() {
    for (String option : new String[] {"allocation", "coverage_decay", "depth_weight"}) {
      Object value = option.equals("allocation") ? "random" : (Object) 0.3;
      ConfigException e =
          refused(
              Map.of(
                  "adapter.method",
                  "fedbe",
                  "server.strategy",
                  "fedavg",
                  "adapter." + option,
                  value));
      String shown = value instanceof String ? "\"" + value + "\"" : value.toString();
      assertEquals(
          "run.toml: adapter."
              + option
              + " = "
              + shown
              + " does nothing with adapter.method = \"fedbe\" and server.strategy = \"fedavg\": "
              + option
              + " tunes the allocation of blocks to the clients of a round, which only"
              + " server.strategy = \"fedbe\" makes: under fedavg every client trains every block;"
              + " give server.strategy = \"fedbe\", or leave out adapter."
              + option,
          e.getMessage());
    }
    // Under fedbe they are read.
    SimulationConfig.of(
        Map.of(
            "adapter.method", "fedbe",
            "server.strategy", "fedbe",
            "adapter.allocation", "coverage",
            "adapter.coverage_decay", 0.3,
            "adapter.depth_weight", 2.0),
        Map.of(),
        "run.toml");
    // Under fedavg without them, the adapter runs.
    SimulationConfig.of(
        Map.of("adapter.method", "fedbe", "server.strategy", "fedavg"), Map.of(), "run.toml");
  }

  @Test
  void ravanHeadSelectionWithoutBudgetsIsRefused() {
    for (String selection : new String[] {"random", "weight", "gradient"}) {
      ConfigException e =
          refused(
              Map.of(
                  "adapter.method",
                  "ravan",
                  "adapter.heads",
                  4L,
                  "adapter.head_selection",
                  selection));
      assertEquals(
          "run.toml: adapter.head_selection = \""
              + selection
              + "\" does nothing with adapter.method = \"ravan\" and client.budgets = \"\":"
              + " head_selection picks the heads a client with a budget below 1 trains, and"
              + " without client.budgets every client has budget 1 and trains all 4 heads, so"
              + " none is selected (fractions below 1 select too); give client.budgets ="
              + " \"uniform\" or \"bell\" or \"skewed\", or leave out adapter.head_selection",
          e.getMessage());
    }
    // With budgets it is read; without head_selection the default heads run without budgets.
    SimulationConfig.of(
        Map.of(
            "adapter.method", "ravan",
            "adapter.head_selection", "gradient",
            "client.budgets", "skewed"),
        Map.of(),
        "run.toml");
    SimulationConfig.of(Map.of("adapter.method", "ravan"), Map.of(), "run.toml");
  }

  /** The error names where each key was set. */
  @Test
  void theErrorNamesWhereTheKeysCameFrom() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("adapter.method", "fedbe", "server.strategy", "fedit"),
                    Map.of("adapter.depth_weight", "2"),
                    "run.toml"));
    assertTrue(
        e.getMessage().startsWith("--set, run.toml: adapter.depth_weight = 2 does nothing"),
        e.getMessage());
  }
}
