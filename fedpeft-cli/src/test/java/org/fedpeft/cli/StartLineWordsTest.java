package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * The start lines' strategy words ({@link SimulateCommand#strategyWords}) for every {@code
 * server.optimizer} and the LoRA strategies, and of the {@code (from the checkpoint)} mark ({@link
 * SimulateCommand#fromCheckpoint}).
 */
class StartLineWordsTest {

  private static String words(String... pairs) {
    Map<String, String> set = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      set.put(pairs[i], pairs[i + 1]);
    }
    return SimulateCommand.strategyWords(SimulationConfig.of(Map.of(), set, "test"));
  }

  @Test
  void everyServerOptimiserIsNamedWithItsSettingsAndPlainFedAvgIsNot() {
    String fedit = SimulationConfig.of(Map.of(), Map.of(), "test").strategy();
    assertEquals(fedit, words());
    // learning rate 1 given as an integer is plain FedAvg: not named
    assertEquals(fedit, words("server.optimizer", "fedavg", "server.learning_rate", "1"));
    assertEquals(
        fedit + " with server optimiser fedavg(lr=0.5)",
        words("server.optimizer", "fedavg", "server.learning_rate", "0.5"));
    assertEquals(
        fedit + " with server optimiser fedavg(lr=2.0)",
        words("server.optimizer", "fedavg", "server.learning_rate", "2"));
    assertEquals(
        fedit + " with server optimiser fedavgm(lr=1.0, momentum=0.9)",
        words("server.optimizer", "fedavgm", "server.momentum", "0.9"));
    for (String adaptive : new String[] {"fedadam", "fedyogi"}) {
      assertEquals(
          fedit
              + " with server optimiser "
              + adaptive
              + "(lr=0.01, beta1=0.9, beta2=0.99, tau=0.001)",
          words("server.optimizer", adaptive));
    }
    assertEquals(
        fedit + " with server optimiser fedadagrad(lr=0.01, beta1=0.0, tau=0.001)",
        words("server.optimizer", "fedadagrad", "server.beta1", "0"));
  }

  @Test
  void theLoraStrategiesAreNamedAsConfigured() {
    assertEquals("ffa-lora", words("server.strategy", "ffa-lora"));
    assertEquals(
        "ffa-lora with server optimiser fedadam(lr=0.01, beta1=0.9, beta2=0.99, tau=0.001)",
        words("server.strategy", "ffa-lora", "server.optimizer", "fedadam"));
    assertEquals("fedex-lora", words("server.strategy", "fedex-lora"));
    assertEquals(
        "hetlora with server optimiser fedavg(lr=0.5)",
        words("server.strategy", "hetlora", "server.learning_rate", "0.5"));
  }

  @Test
  void onlyTheRoundsOfTheCheckpointAreMarked() {
    assertEquals("", SimulateCommand.fromCheckpoint(1, 0), "a new run");
    assertEquals(" (from the checkpoint)", SimulateCommand.fromCheckpoint(3, 3));
    assertEquals("", SimulateCommand.fromCheckpoint(4, 3), "a round trained after the resume");
  }

  /** A config error keeps its words: strategyWords is not reached for a refused config. */
  @Test
  void aBadOptimiserIsRefusedBeforeAnyStartLine() {
    ConfigException e = assertThrows(ConfigException.class, () -> words("server.optimizer", "sgd"));
    assertTrue(e.getMessage().contains("server.optimizer"), e.getMessage());
  }
}
