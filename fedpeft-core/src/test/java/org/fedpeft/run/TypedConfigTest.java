package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config files' typed values (a quoted number or true/false and a float for an integer key
 * refused, {@code ConfigSource.typed}) along every path that builds a config: a file read with its
 * relative paths resolved ({@link SimulationConfig#load}), the same file with {@code --set}
 * overrides, and a saved config.json ({@link SimulationConfig#fromJson}).
 */
class TypedConfigTest {

  @TempDir Path tmp;

  private int files;

  /** A new config file holding {@code text}. */
  private Path toml(String text) throws Exception {
    Path file = tmp.resolve("run" + ++files + ".toml");
    Files.writeString(file, text);
    return file;
  }

  /** Resolving the file's relative paths keeps its values typed: a quoted number is refused. */
  @Test
  void aFileWithRelativePathsStillRefusesAQuotedNumberAndAFloatForAnInteger() throws Exception {
    Path file = toml("rounds = \"3\"\n[data]\nfile = \"train.jsonl\"\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(file, Map.of()));
    assertEquals(
        file + ":1: rounds must be an integer, got the string \"3\" (write it without quotes)",
        e.getMessage());
    Path flag = toml("[data]\nfile = \"train.jsonl\"\n[privacy]\nclient.adaptive = \"true\"\n");
    e = assertThrows(ConfigException.class, () -> SimulationConfig.load(flag, Map.of()));
    assertEquals(
        flag
            + ":4: privacy.client.adaptive must be true or false, got the string \"true\" (write it"
            + " without quotes)",
        e.getMessage());
    // A strategy's option (server.<strategy>.*) is a key of the schema: typed as well.
    Path option = toml("[server]\nstrategy = \"hetlora\"\nhetlora.prune = \"true\"\n");
    e = assertThrows(ConfigException.class, () -> SimulationConfig.load(option, Map.of()));
    assertTrue(e.getMessage().startsWith(option + ":3: server.hetlora.prune"), e.getMessage());
    Path whole = toml("[data]\nfile = \"train.jsonl\"\n[client]\nbatch_size = 8.0\n");
    e = assertThrows(ConfigException.class, () -> SimulationConfig.load(whole, Map.of()));
    assertTrue(e.getMessage().contains("(a TOML float"), e.getMessage());
    // An override of the refused key does not hide the file's error: the file is read first.
    e =
        assertThrows(
            ConfigException.class, () -> SimulationConfig.load(file, Map.of("rounds", "4")));
    assertTrue(e.getMessage().startsWith(file + ":1: rounds"), e.getMessage());
  }

  /**
   * A number key given a TOML integer (server.learning_rate = 1) is read as that number, plain
   * FedAvg; a long key takes the largest long and -0; an integer key beyond an int, and a long key
   * beyond a long, are refused naming the file and line.
   */
  @Test
  void integersForNumberKeysAndTheLimitsOfIntegerKeys() throws Exception {
    SimulationConfig c =
        SimulationConfig.load(
            toml("seed = 9223372036854775807\n[server]\nlearning_rate = 1\n"), Map.of());
    assertEquals(1.0, c.serverLearningRate());
    assertEquals(Long.MAX_VALUE, c.seed());
    assertEquals(0L, SimulationConfig.load(toml("seed = -0\n"), Map.of()).seed());
    Path big = toml("\nrounds = 3000000000\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(big, Map.of()));
    assertEquals(big + ":2: rounds must be an integer, got 3000000000", e.getMessage());
    Path huge = toml("\nseed = 99999999999999999999\n");
    e = assertThrows(ConfigException.class, () -> SimulationConfig.load(huge, Map.of()));
    assertTrue(e.getMessage().startsWith(huge + ":2"), e.getMessage());
  }

  /** --set and a saved config.json give values as text, which are read as the key's type. */
  @Test
  void overridesAndASavedConfigJsonStillReadNumbersGivenAsText() throws Exception {
    Path file = toml("rounds = 3\n");
    SimulationConfig c =
        SimulationConfig.load(file, Map.of("rounds", "5", "client.parallel", "2", "seed", "-0"));
    assertEquals(5, c.rounds());
    assertEquals(0L, c.seed());
    SimulationConfig back = SimulationConfig.fromJson(c.toJson());
    assertEquals(5, back.rounds());
    assertEquals(c.toJson(), back.toJson());
    // --set of a float for an integer key is refused as before (it is not a whole number's text).
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> SimulationConfig.load(file, Map.of("rounds", "3.0")));
    assertEquals("--set: rounds must be an integer, got 3.0", e.getMessage());
  }
}
