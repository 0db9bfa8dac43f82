package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * client.head_learning_rate and client.max_grad_norm give 0 a meaning of its own (the adapter's
 * rate; no clipping), and local training takes them as 32-bit floats. Review, 4 December: a head
 * rate of 1e-60 passed the config (it is 0 as a float, and the check was only ">= 0 as a float"),
 * then RunSettings.headLearningRate took it as a rate of its own (above 0 as a double) and every
 * client failed its first round after the model loaded ("head_learning_rate must be positive, got
 * 0.0"); a clipping norm of 1e-60 silently turned clipping off. Both are refused now, naming the
 * key; 0 itself, and a weight decay that is 0 as a float (no decay either way), still load.
 */
class ClientZeroMeaningFloatSettingsTest {

  private static SimulationConfig config(String key, double value) {
    return SimulationConfig.of(Map.of("rounds", 1L, key, value), Map.of(), "run.toml");
  }

  @Test
  void aValueThatIsZeroOnlyAsAFloatIsRefusedNamingTheKey() {
    for (String key : new String[] {"client.head_learning_rate", "client.max_grad_norm"}) {
      assertEquals(
          "run.toml: "
              + key
              + " = 1.0E-60 is invalid: 0, or > 0 as a 32-bit float: about 1.4e-45 to 3.4e38",
          assertThrows(ConfigException.class, () -> config(key, 1e-60)).getMessage());
    }
  }

  @Test
  void zeroAndTheSmallestFloatStillLoad() {
    for (String key : new String[] {"client.head_learning_rate", "client.max_grad_norm"}) {
      assertEquals(0.0, config(key, 0.0).values().get(key));
      assertEquals(1e-45, config(key, 1e-45).values().get(key));
    }
    assertEquals(1e-60, config("client.weight_decay", 1e-60).values().get("client.weight_decay"));
  }
}
