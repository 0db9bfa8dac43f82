package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.federation.AdapterOptionRefusedException;
import org.fedpeft.federation.StrategyRegistry;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A strategy that refuses the value of an adapter option says which option as data ({@link
 * AdapterOptionRefusedException}), and the config names that key with where it was set. QA, 4
 * December: the config found the keys by searching the refusal's message for {@code "adapter.NAME
 * "}, so a reworded message would have dropped the key silently.
 */
class StrategyRefusedOptionKeysTest {

  @TempDir Path tmp;

  @Test
  void theStrategiesThatRefuseTrainANameItAsData() {
    for (String strategy : List.of("hetlora", "flexlora")) {
      AdapterOptionRefusedException e =
          assertThrows(
              AdapterOptionRefusedException.class,
              () ->
                  StrategyRegistry.get(strategy).requireAdapter("lora", Map.of("train_a", "false")),
              strategy);
      assertEquals(List.of("train_a"), e.options(), strategy);
    }
    AdapterOptionRefusedException e =
        assertThrows(
            AdapterOptionRefusedException.class,
            () ->
                StrategyRegistry.get("ffa-lora").requireAdapter("lora", Map.of("train_a", "true")));
    assertEquals(List.of("train_a"), e.options());
  }

  @Test
  void aMethodTheStrategyRefusesIsNoOptionRefusal() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> StrategyRegistry.get("ffa-lora").requireAdapter("ravan", Map.of()));
    assertTrue(!(e instanceof AdapterOptionRefusedException), e.toString());
  }

  /** Each key with its line: server.strategy, adapter.method, then the option refused. */
  @Test
  void theConfigNamesTheRefusedOptionWhereItIsSet() throws IOException {
    Path f =
        Files.writeString(
            tmp.resolve("run.toml"),
            "rounds = 2\n[adapter]\nmethod = \"lora\"\nrank = 4\ntrain_a = true\n"
                + "[server]\nstrategy = \"ffa-lora\"\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertTrue(
        e.getMessage()
            .startsWith(
                f
                    + ":7, "
                    + f
                    + ":3, "
                    + f
                    + ":5: server.strategy = ffa-lora needs adapter.method"),
        e.getMessage());
  }
}
