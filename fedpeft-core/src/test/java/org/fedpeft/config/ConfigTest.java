package org.fedpeft.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.simulation.SimulationConfig;
import org.junit.jupiter.api.Test;

class ConfigTest {

  @Test
  void parsesTheTomlSubset() {
    Map<String, Object> m =
        Toml.parse(
            """
            # a comment
            seed = 7
            rounds = 1_000
            [client]
            learning_rate = 5e-4   # trailing comment
            name = "a # not a comment"
            flag = true
            [adapter]
            targets = ["query",
                       "value"]
            literal = 'C:\\path'
            """,
            "t.toml");
    assertEquals(7L, m.get("seed"));
    assertEquals(1000L, m.get("rounds"));
    assertEquals(5e-4, m.get("client.learning_rate"));
    assertEquals("a # not a comment", m.get("client.name"));
    assertEquals(true, m.get("client.flag"));
    assertEquals(List.of("query", "value"), m.get("adapter.targets"));
    assertEquals("C:\\path", m.get("adapter.literal"));
  }

  @Test
  void tomlErrorsNameTheLine() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> Toml.parse("a = 1\nb = yes\n", "x.toml"));
    assertTrue(e.getMessage().startsWith("x.toml:2:"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> Toml.parse("a = 1\na = 2\n", "x.toml"));
    assertTrue(e.getMessage().contains("x.toml:2") && e.getMessage().contains("twice"));
    e = assertThrows(ConfigException.class, () -> Toml.parse("s = \"open\n", "x.toml"));
    assertTrue(e.getMessage().startsWith("x.toml:1:"), e.getMessage());
  }

  @Test
  void unknownKeysAndBadValuesAreRejectedWithTheKeyNamed() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("roundz", 3L), Map.of(), "run.toml"));
    assertTrue(e.getMessage().contains("roundz") && e.getMessage().contains("run.toml"));
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("rounds", 0L), Map.of(), "run.toml"));
    assertTrue(e.getMessage().contains("rounds"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of(), Map.of("client.learning_rate", "fast"), "f"));
    assertTrue(e.getMessage().contains("client.learning_rate"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("rounds", "five"), Map.of(), "run.toml"));
    assertTrue(e.getMessage().contains("rounds must be an integer"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("server.strategy", "magic"), Map.of(), "r"));
    assertTrue(e.getMessage().contains("server.strategy"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("clients", 3L, "clients_per_round", 4L), Map.of(), "run.toml"));
    assertTrue(e.getMessage().contains("clients_per_round"), e.getMessage());
  }

  @Test
  void overridesWinAndAdapterKeysPassThrough() {
    SimulationConfig c =
        SimulationConfig.of(
            Map.of("rounds", 3L, "adapter.rank", 4L, "adapter.targets", List.of("query", "key")),
            Map.of("rounds", "9", "adapter.alpha", "8"),
            "run.toml");
    assertEquals(9, c.rounds());
    assertEquals(Map.of("rank", "4", "alpha", "8", "targets", "query+key"), c.adapterOptions());
    SimulationConfig back = SimulationConfig.fromJson(c.toJson());
    assertEquals(c.values(), back.values());
  }
}
