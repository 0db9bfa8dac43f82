package org.fedpeft.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

class ConfigTest {

  @Test
  void parsesToml() {
    ConfigSource src =
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
    Map<String, Object> m = src.values();
    assertEquals(7L, m.get("seed"));
    assertEquals(1000L, m.get("rounds"));
    assertEquals(5e-4, m.get("client.learning_rate"));
    assertEquals("a # not a comment", m.get("client.name"));
    assertEquals(true, m.get("client.flag"));
    assertEquals(List.of("query", "value"), m.get("adapter.targets"));
    assertEquals("C:\\path", m.get("adapter.literal"));
    assertEquals("t.toml:2", src.where("seed"));
    assertEquals("t.toml:5", src.where("client.learning_rate"));
  }

  @Test
  void inlineAndDottedTablesFlattenToDottedKeys() {
    Map<String, Object> m =
        Toml.parse("adapter = {rank = 4}\nprivacy.sample.clip_norm = 0.5\n", "t.toml").values();
    assertEquals(Map.of("adapter.rank", 4L, "privacy.sample.clip_norm", 0.5), m);
  }

  @Test
  void valuesNoKeyTakesAreRejectedWithTheLine() {
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> Toml.parse("seed = 1\nwhen = 1979-05-27\n", "x.toml"));
    assertTrue(e.getMessage().startsWith("x.toml:2: when is a LocalDate"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> Toml.parse("[[t]]\na = 1\n", "x.toml"));
    assertTrue(e.getMessage().startsWith("x.toml:1: t holds tables"), e.getMessage());
  }

  @Test
  void schemaErrorsNameTheFileAndLineOfTheValue() {
    ConfigSource src = Toml.parse("seed = 1\n\n[client]\nbatch_size = 0\n", "run.toml");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.SCHEMA.resolve(src, Map.of()));
    assertEquals("run.toml:4: client.batch_size = 0 is invalid: >= 1", e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.SCHEMA.resolve(src, Map.of("rounds", "many")));
    assertEquals("--set: rounds must be an integer, got many", e.getMessage());
  }

  @Test
  void aValueOfAnotherTomlTypeInAFileIsRefusedNamingTheLine() {
    ConfigSource src = Toml.parse("seed = 1\n[data]\nmax_train = \"200\"\n", "run.toml");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.SCHEMA.resolve(src, Map.of()));
    assertEquals(
        "run.toml:3: data.max_train must be an integer, got the string \"200\" (write it without"
            + " quotes)",
        e.getMessage());
    ConfigSource rate = Toml.parse("[client]\nlearning_rate = \"2e-3\"\n", "run.toml");
    e = assertThrows(ConfigException.class, () -> SimulationConfig.SCHEMA.resolve(rate, Map.of()));
    assertTrue(e.getMessage().startsWith("run.toml:2: client.learning_rate must be a number"));
    ConfigSource flag = Toml.parse("[eval]\nretention = \"true\"\n", "run.toml");
    e = assertThrows(ConfigException.class, () -> SimulationConfig.SCHEMA.resolve(flag, Map.of()));
    assertTrue(e.getMessage().startsWith("run.toml:2: eval.retention must be true or false"));
    ConfigSource whole = Toml.parse("rounds = 3.0\n", "run.toml");
    e = assertThrows(ConfigException.class, () -> SimulationConfig.SCHEMA.resolve(whole, Map.of()));
    assertEquals(
        "run.toml:1: rounds must be an integer, got 3.0 (a TOML float: write it without a point or"
            + " exponent)",
        e.getMessage());
    // --set and a saved config.json give every value as text: still read as numbers
    assertEquals(
        200,
        SimulationConfig.SCHEMA
            .resolve(Toml.parse("seed = 1\n", "run.toml"), Map.of("data.max_train", "200"))
            .values()
            .get("data.max_train"));
    assertEquals(
        200,
        SimulationConfig.SCHEMA
            .resolve(ConfigSource.of("config.json", Map.of("data.max_train", "200")), Map.of())
            .values()
            .get("data.max_train"));
  }

  @Test
  void tomlErrorsNameTheLine() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> Toml.parse("a = 1\nb = yes\n", "x.toml"));
    assertTrue(e.getMessage().startsWith("x.toml:2:"), e.getMessage());
    assertTrue(e.getMessage().contains("strings need quotes"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> Toml.parse("a = 1\na = 2\n", "x.toml"));
    assertTrue(
        e.getMessage().startsWith("x.toml:2:") && e.getMessage().contains("previously defined"),
        e.getMessage());
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

  /** A list given to --set as the config file writes it, a TOML array, is read as that array. */
  @Test
  void listOverridesMayBeTomlArrays() {
    SimulationConfig c =
        SimulationConfig.of(
            Map.of(),
            Map.of(
                "adapter.targets", "[\"query\", \"key\"]",
                "data.labels", "[\"a, b\", \"c\"]"),
            "run.toml");
    assertEquals("query+key", c.adapterOptions().get("targets"));
    assertEquals(List.of("a, b", "c"), c.values().get("data.labels"));
    SimulationConfig commas =
        SimulationConfig.of(Map.of(), Map.of("data.labels", "a,c"), "run.toml");
    assertEquals(List.of("a", "c"), commas.values().get("data.labels"));
    // A bracketed value that is not a TOML array (a regular expression) is read as before.
    SimulationConfig pattern =
        SimulationConfig.of(Map.of(), Map.of("adapter.targets", "[e].*[y]"), "run.toml");
    assertEquals("[e].*[y]", pattern.adapterOptions().get("targets"));
  }

  /**
   * User audit: --set 'adapter.targets=[query,value]' (strings without quotes) was split at its
   * comma and refused as the regular expression "[query". A value in one pair of brackets that is
   * not a TOML array is refused saying how to write it; a regular expression whose brackets are not
   * one pair still reads as one (listOverridesMayBeTomlArrays).
   */
  @Test
  void aBracketedListThatIsNotATomlArrayIsRefusedSayingHowToWriteIt() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of(), Map.of("adapter.targets", "[query,value]"), "r"));
    assertEquals(
        "--set: adapter.targets = [query,value] is not a TOML array (strings need quotes:"
            + " [\"query\", \"value\"]); or give a comma list: query,value",
        e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of(), Map.of("data.labels", "[a, 'b]"), "r"));
    assertTrue(
        e.getMessage().startsWith("--set: data.labels = [a, 'b] is not a TOML array"),
        e.getMessage());
    // an empty array is a list, empty: the option's check says so
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of(), Map.of("adapter.targets", "[]"), "r"));
    assertEquals(
        "--set: adapter.targets (lora option) = [] is invalid: the list is empty; give at least"
            + " one module name, alias or pattern",
        e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("adapter.targets", List.of()), Map.of(), "r.toml"));
    assertTrue(e.getMessage().startsWith("r.toml: adapter.targets (lora option) = [] is invalid"));
    // a bad regular expression names the option as fedpeft writes it, not PEFT's target_modules
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of(), Map.of("adapter.targets", "[q"), "r"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "--set: adapter.targets (lora option) = [q is invalid: target \"[q\" is not a"
                    + " valid regular expression: Unclosed character class"),
        e.getMessage());
    assertTrue(!e.getMessage().contains("target_modules"), e.getMessage());
  }

  /** QA, 2 December: a config file that is not UTF-8 gave "Input length = 1" and exit 1. */
  @Test
  void aConfigThatIsNotUtf8IsNamedWithItsLine(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path f = dir.resolve("latin1.toml");
    java.nio.file.Files.write(
        f,
        "rounds = 1\n[data]\ntask = \"x\u00e9\"\n"
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    ConfigException e = assertThrows(ConfigException.class, () -> Toml.read(f));
    assertTrue(e.getMessage().startsWith(f + ":3: not valid UTF-8"), e.getMessage());
  }

  /**
   * Toml reads its file itself (it used data.DataFiles before, a package cycle): a folder is still
   * refused by its path, with the same words as before.
   */
  @Test
  void aFolderGivenAsConfigIsRefusedByItsPath(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    java.nio.file.FileSystemException e =
        assertThrows(java.nio.file.FileSystemException.class, () -> Toml.read(dir));
    assertEquals(dir + ": is a folder, not a data file", e.getMessage());
  }
}
