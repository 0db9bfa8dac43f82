package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * Local training takes client.learning_rate, head_learning_rate, weight_decay and max_grad_norm as
 * 32-bit floats. QA, 4 December: a value that is a finite double but not a finite float (1e300), or
 * a learning rate that is 0 as a float (1e-60), passed the config, and every client then failed its
 * first round, after the model had loaded ("round 1 failed: 0 clients contributed; ...
 * learning_rate must be positive, got Infinity"). The config refuses them now, naming the key and
 * where it was set.
 */
class ClientFloatSettingsTest {

  private static String refusal(String key, Object value) {
    return assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("rounds", 1L, key, value), Map.of(), "run.toml"))
        .getMessage();
  }

  @Test
  void aValueNoFloatHoldsIsRefusedNamingTheKey() {
    assertEquals(
        "run.toml: client.learning_rate = 1.0E300 is invalid: > 0 as a 32-bit float: about 1.4e-45"
            + " to 3.4e38",
        refusal("client.learning_rate", 1e300));
    assertEquals(
        "run.toml: client.learning_rate = 1.0E-60 is invalid: > 0 as a 32-bit float: about 1.4e-45"
            + " to 3.4e38",
        refusal("client.learning_rate", 1e-60));
    assertEquals(
        "run.toml: client.weight_decay = 1.0E300 is invalid: >= 0 as a 32-bit float: at most about"
            + " 3.4e38",
        refusal("client.weight_decay", 1e300));
    for (String key : new String[] {"client.head_learning_rate", "client.max_grad_norm"}) {
      assertEquals(
          "run.toml: "
              + key
              + " = 1.0E300 is invalid: 0, or > 0 as a 32-bit float: about 1.4e-45 to 3.4e38",
          refusal(key, 1e300));
    }
  }

  @Test
  void ordinaryValuesStillLoad() {
    SimulationConfig c =
        SimulationConfig.of(
            Map.of(
                "rounds", 1L,
                "client.learning_rate", 3e38,
                "client.head_learning_rate", 0.0,
                "client.weight_decay", 1e-2),
            Map.of(),
            "run.toml");
    assertEquals(3e38, c.values().get("client.learning_rate"));
  }
}
