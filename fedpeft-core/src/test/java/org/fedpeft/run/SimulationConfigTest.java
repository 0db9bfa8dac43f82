package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSource;
import org.fedpeft.peft.lora.LoraConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulation config as the sections compose it, and the config rows of issue 15. */
class SimulationConfigTest {

  @TempDir Path tmp;

  private Path write(String name, byte[] bytes) throws IOException {
    Path f = tmp.resolve(name);
    Files.write(f, bytes);
    return f;
  }

  // Issue 15: "A config file with a UTF-8 BOM fails with an invisible character in the message."
  @Test
  void configFileWithUtf8BomLoads() throws IOException {
    byte[] text = "rounds = 3\n[client]\nlocal_steps = 7\n".getBytes(StandardCharsets.UTF_8);
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] withBom = new byte[bom.length + text.length];
    System.arraycopy(bom, 0, withBom, 0, bom.length);
    System.arraycopy(text, 0, withBom, bom.length, text.length);
    SimulationConfig c = SimulationConfig.load(write("bom.toml", withBom), Map.of());
    assertEquals(3, c.rounds());
    assertEquals(7, c.localSteps());
  }

  @Test
  void modelPrecisionDefaultsToFp32AndRefusesOtherValuesNamingTheKey() throws IOException {
    SimulationConfig plain =
        SimulationConfig.load(
            write("plain.toml", "rounds = 3\n".getBytes(StandardCharsets.UTF_8)), Map.of());
    assertEquals(new org.fedpeft.model.ModelChoice("all-minilm-l6-v2", "fp32"), plain.model());
    Path f =
        write(
            "bf16.toml",
            "rounds = 3\n[model]\nprecision = \"bf16\"\n".getBytes(StandardCharsets.UTF_8));
    assertEquals("bf16", SimulationConfig.load(f, Map.of()).model().precision());
    assertEquals(
        "auto", SimulationConfig.load(f, Map.of("model.precision", "auto")).model().precision());
    Path bad =
        write(
            "fp16.toml",
            "rounds = 3\n[model]\nprecision = \"fp16\"\n".getBytes(StandardCharsets.UTF_8));
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(bad, Map.of()));
    assertEquals(bad + ":3: model.precision = fp16 is invalid: fp32, bf16 or auto", e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.load(f, Map.of("model.precision", "half")));
    assertEquals("--set: model.precision = half is invalid: fp32, bf16 or auto", e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.load(f, Map.of("server.strategy", "fedex-lora")));
    assertTrue(e.getMessage().contains("server.strategy = \"fedex-lora\""), e.getMessage());
    assertTrue(e.getMessage().contains("model.precision = \"fp32\""), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.load(
                    f, Map.of("server.strategy", "fedex-lora", "model.precision", "auto")));
    assertTrue(e.getMessage().contains("model.precision = \"auto\" cannot run"), e.getMessage());
    assertTrue(e.getMessage().contains("auto picks bfloat16 on some CPUs"), e.getMessage());
    assertEquals(
        "fedex-lora",
        SimulationConfig.load(f, Map.of("server.strategy", "fedex-lora", "model.precision", "fp32"))
            .strategy());
  }

  /**
   * QA, 2 December: relative paths in a config file were read from the working directory, so the
   * same command worked in one folder and not in another. They are read from the file's folder;
   * --set values, typed in a shell, from the working directory.
   */
  @Test
  void relativePathsInAConfigFileAreReadFromItsFolder() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("project"));
    Path f = dir.resolve("run.toml");
    Files.writeString(
        f,
        "[model]\nname = \"models/mini\"\n[data]\nfile = \"data/train.jsonl\"\n"
            + "test = \"/abs/test.jsonl\"\ncorpus = \"../corpus.jsonl\"\n");
    SimulationConfig c = SimulationConfig.load(f, Map.of());
    Path abs = dir.toAbsolutePath();
    assertEquals(abs.resolve("models/mini").toString(), c.model().name());
    assertEquals(abs.resolve("data/train.jsonl").toString(), c.dataFile());
    assertEquals("/abs/test.jsonl", c.dataTest());
    assertEquals(abs.getParent().resolve("corpus.jsonl").toString(), c.dataCorpus());
    // the bundled model's name is a name, and --set values are the shell's
    c =
        SimulationConfig.load(
            f, Map.of("model.name", "all-minilm-l6-v2", "data.file", "mine.jsonl"));
    assertEquals("all-minilm-l6-v2", c.model().name());
    assertEquals("mine.jsonl", c.dataFile());
    Files.writeString(f, "[model]\nname = \"all-minilm-l6-v2\"\n");
    assertEquals("all-minilm-l6-v2", SimulationConfig.load(f, Map.of()).model().name());
  }

  /**
   * QA, 2 December: an unknown task, a bad partition spec, an adapter target that matches no module
   * and an unknown strategy were refused without the file and line (or --set) of the value.
   */
  @Test
  void valuesCheckedAgainstRegistriesNameTheirFileAndLine() throws IOException {
    Path f =
        write(
            "run.toml",
            ("rounds = 3\n[data]\ntask = \"wordnet-noun-topics\"\n"
                    + "partition = \"dirichlet:x\"\n[adapter]\ntargets = [\"querry\"]\n"
                    + "[server]\nstrategy = \"fedavgg\"\n")
                .getBytes(StandardCharsets.UTF_8));
    Map<String, String> fix =
        Map.of(
            "data.task", "wordnet-noun-topic",
            "data.partition", "iid",
            "adapter.targets", "query",
            "server.strategy", "fedavg");
    String[][] cases = {
      {
        "data.task",
        f
            + ":3: data.task = wordnet-noun-topics is invalid: unknown task \"wordnet-noun-topics\""
            + " (did you mean \"wordnet-noun-topic\"?); known tasks: "
      },
      {"data.partition", f + ":4: data.partition = dirichlet:x is invalid: bad partitioner spec"},
      {
        "adapter.targets",
        f
            + ":6: adapter.targets (lora option) = querry is invalid: target \"querry\" matches no"
            + " linear module (did you mean \"query\"?)"
      },
      {
        "server.strategy",
        f
            + ":8: server.strategy = fedavgg is invalid: not a registered strategy (did you mean"
            + " \"fedavg\"?); registered: fedavg, fedbe,"
      },
    };
    for (String[] c : cases) {
      Map<String, String> others = new java.util.HashMap<>(fix);
      others.remove(c[0]); // every other bad value is overridden by a good one
      ConfigException e =
          assertThrows(ConfigException.class, () -> SimulationConfig.load(f, others));
      assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
    }
    assertEquals("iid", SimulationConfig.load(f, fix).partition());
  }

  // Issue 15: "A typo'd key dumps all 48 keys without a 'did you mean'."
  @Test
  void typoedKeySaysDidYouMeanInsteadOfListingEveryKey() throws IOException {
    Path f =
        write(
            "typo.toml",
            "rounds = 3\n[client]\nlerning_rate = 1e-3\n".getBytes(StandardCharsets.UTF_8));
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(
        f + ":3: unknown key \"client.lerning_rate\" (did you mean \"client.learning_rate\"?)",
        e.getMessage());
    // a key outside its table: the keys of that name in every table
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("learning_rate", 0.1), Map.of(), "run.toml"));
    assertEquals(
        "run.toml: unknown key \"learning_rate\" (did you mean \"client.learning_rate\" or"
            + " \"server.learning_rate\"?)",
        e.getMessage());
    // an adapter option, checked against the method's option schema
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of(), Map.of("adapter.rnak", "4"), "run.toml"));
    assertEquals(
        "--set: unknown key \"adapter.rnak\" (did you mean \"adapter.rank\"?)", e.getMessage());
    // nothing near: where to find the keys, not all of them
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("colour", "red"), Map.of(), "run.toml"));
    assertEquals(
        "run.toml: unknown key \"colour\" (every key: fedpeft simulate --list-keys, or"
            + " docs/config.md)",
        e.getMessage());
  }

  // Issue 15: "--set adapter.targets=query,value fails, although docs/config.md says lists are
  // comma-separated."
  @Test
  void setListIsCommaSeparatedAsDocumented() {
    SimulationConfig c =
        SimulationConfig.of(Map.of(), Map.of("adapter.targets", "query, value,ffn.in"), "run.toml");
    assertEquals(Map.of("targets", "query+value+ffn.in"), c.adapterOptions());
    assertEquals(
        List.of("query", "value", "ffn.in"),
        LoraConfig.fromOptions(c.adapterOptions()).targetModules());
    assertEquals("query+value+ffn.in", c.values().get("adapter.targets"));
    // the forms that worked before still do
    assertEquals(
        Map.of("targets", "query+value"),
        SimulationConfig.of(Map.of(), Map.of("adapter.targets", "query+value"), "r")
            .adapterOptions());
    assertEquals(
        Map.of("targets", "query+value"),
        SimulationConfig.of(Map.of("adapter.targets", List.of("query", "value")), Map.of(), "r")
            .adapterOptions());
  }

  @Test
  void adapterOptionsAreCheckedByTheMethodsSchemaWithTheLineNamed() throws IOException {
    Path f =
        write(
            "bad.toml",
            "[adapter]\nmethod = \"lora\"\nrank = 0\n".getBytes(StandardCharsets.UTF_8));
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(f + ":3: adapter.rank (lora option) = 0 is invalid: >= 1", e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("adapter.dropout", "lots"), Map.of(), "run.toml"));
    assertEquals(
        "run.toml: adapter.dropout (lora option) must be a number, got 'lots'", e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("adapter.method", "lroa"), Map.of(), "run.toml"));
    assertEquals(
        "run.toml: adapter.method = \"lroa\" is not an adapter method (did you mean \"lora\"?)",
        e.getMessage());
  }

  @Test
  void methodNoneKeepsOptionsUnchecked() {
    SimulationConfig c =
        SimulationConfig.of(
            Map.of("adapter.rank", 8L), Map.of("adapter.method", "none"), "examples/x.toml");
    assertEquals("none", c.adapterMethod());
    assertEquals(Map.of("rank", "8"), c.adapterOptions());
  }

  /** The eval section with {@code eval.every} as given and every other key at its default. */
  private static EvalSection evalSection(int every) {
    EvalSection d =
        EvalSection.from(
            EvalSection.SCHEMA.resolve(ConfigSource.of("defaults", Map.of()), Map.of()));
    return new EvalSection(
        every,
        d.clients(),
        d.targetAccuracy(),
        d.retention(),
        d.retentionTask(),
        d.retentionDocuments(),
        d.retentionQueries(),
        d.retentionTrain(),
        d.retentionTest(),
        d.retentionSeed());
  }

  @Test
  void sectionsHoldTheValuesTheAccessorsReturn() {
    SimulationConfig c =
        SimulationConfig.of(
            Map.of("rounds", 3L, "privacy.mode", "client", "server.optimizer", "fedadam"),
            Map.of("client.batch_size", "8", "eval.every", "2", "data.max_train", "100"),
            "run.toml");
    assertEquals(new RunSection(42, 3, 20, 4, "fixed", "all-minilm-l6-v2", "fp32"), c.run());
    assertEquals(8, c.client().batchSize());
    assertEquals(c.batchSize(), c.client().batchSize());
    assertEquals("fedadam", c.server().optimizer());
    assertEquals("client", c.privacy().mode());
    assertEquals(evalSection(2), c.eval());
    assertEquals(100, c.data().maxTrain());
    assertEquals("lora", c.adapter().method());
    ConfigException e = assertThrows(ConfigException.class, () -> evalSection(0));
    assertEquals("eval.every = 0 is invalid: >= 1", e.getMessage());
  }

  @Test
  void crossSectionChecksNameTheKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("server.min_clients", 5L), Map.of("clients_per_round", "4"), "r.toml"));
    assertEquals(
        "r.toml, --set: server.min_clients (5) exceeds clients_per_round (4)", e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("privacy.mode", "sample"), Map.of("client.proximal_mu", "0.1"), "r"));
    assertTrue(
        e.getMessage().startsWith("--set, r: client.proximal_mu (0.1) must be 0"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of(), Map.of("client.head_learning_rate", "-1"), "r"));
    assertTrue(e.getMessage().contains("client.head_learning_rate"), e.getMessage());
    assertEquals(
        2e-3,
        SimulationConfig.of(Map.of(), Map.of("client.head_learning_rate", "2e-3"), "r")
            .headLearningRate());
    assertEquals(0.0, SimulationConfig.of(Map.of(), Map.of(), "r").headLearningRate());
  }

  /**
   * User audit: privacy.epsilon, privacy.delta, privacy.sample.* and privacy.client.* set while
   * privacy.mode = "none" were accepted without a word, against "a setting never silently does
   * nothing". A value other than the key's default is refused, naming the key, where it was set and
   * the mode it needs; as for server.&lt;strategy&gt;.*, the default is what counts, so that a run
   * folder's config.json (every key written) reads back.
   */
  @Test
  void privacySettingsWithoutAPrivacyModeAreRefused() throws IOException {
    Path f =
        write(
            "eps.toml", "rounds = 3\n[privacy]\nepsilon = 8.0\n".getBytes(StandardCharsets.UTF_8));
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(
        f
            + ":3: privacy.epsilon = 8.0 does nothing with privacy.mode = \"none\" (no differential"
            + " privacy): set privacy.mode = \"client\" or \"sample\", or leave privacy.epsilon out",
        e.getMessage());
    String[][] cases = {
      {"privacy.delta", "1e-6", "privacy.mode = \"client\" or \"sample\""},
      {"privacy.noise", "seeded", "privacy.mode = \"client\" or \"sample\""},
      {"privacy.sample.noise_multiplier", "0.8", "privacy.mode = \"sample\","},
      {"privacy.sample.clip_norm", "0.5", "privacy.mode = \"sample\","},
      {"privacy.client.clip_norm", "0.5", "privacy.mode = \"client\","},
      {"privacy.client.adaptive", "true", "privacy.mode = \"client\","},
    };
    for (String[] c : cases) {
      e =
          assertThrows(
              ConfigException.class, () -> SimulationConfig.of(Map.of(), Map.of(c[0], c[1]), "r"));
      assertTrue(e.getMessage().startsWith("--set: " + c[0] + " = "), e.getMessage());
      assertTrue(e.getMessage().contains("set " + c[2]), e.getMessage());
      // with a mode, or with privacy.mode = "none" given explicitly and the key at its default
      SimulationConfig.of(Map.of("privacy.mode", "client"), Map.of(c[0], c[1]), "r");
    }
    SimulationConfig.of(Map.of("privacy.mode", "sample"), Map.of("privacy.epsilon", "8"), "r");
    SimulationConfig plain =
        SimulationConfig.of(
            Map.of("privacy.mode", "none", "privacy.epsilon", 0.0, "privacy.noise", "secure"),
            Map.of(),
            "r");
    assertEquals(plain.values(), SimulationConfig.fromJson(plain.toJson()).values());
  }

  /**
   * User audit: privacy.mode = "sample" with privacy.sample.noise_multiplier = 0 and a budget ran,
   * every client declining with "privacy budget spent" at epsilon 0.0000. No noise means an
   * infinite epsilon, which no budget admits: refused at config time, in both DP modes, naming the
   * keys. Without a budget a noise multiplier of 0 stays allowed (a run marked NOT private).
   */
  @Test
  void aBudgetWithoutNoiseIsRefused() throws IOException {
    Path f =
        write(
            "nonoise.toml",
            "[privacy]\nmode = \"sample\"\nsample.noise_multiplier = 0\nepsilon = 8.0\n"
                .getBytes(StandardCharsets.UTF_8));
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(
        f
            + ":3, "
            + f
            + ":4, "
            + f
            + ":2: privacy.sample.noise_multiplier = 0 adds no noise, so the budget"
            + " privacy.epsilon = 8.0 can never be met (without noise epsilon is infinite): every"
            + " client would decline every round; set privacy.sample.noise_multiplier > 0 (fedpeft"
            + " privacy noise picks one), or privacy.epsilon = 0 for no budget",
        e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("privacy.mode", "client", "privacy.epsilon", 3.0),
                    Map.of("privacy.client.noise_multiplier", "0"),
                    "r.toml"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "--set, r.toml: privacy.client.noise_multiplier = 0 adds no noise, so the budget"
                    + " privacy.epsilon = 3.0 can never be met"),
        e.getMessage());
    assertTrue(e.getMessage().contains("the run would stop before its first round"));
    // no budget, or the other mode's multiplier: allowed
    SimulationConfig.load(f, Map.of("privacy.epsilon", "0"));
    SimulationConfig.load(
        f, Map.of("privacy.mode", "client", "privacy.sample.noise_multiplier", "1"));
  }

  /**
   * User audit: FedDPA-F with privacy.mode = "sample" was accepted, then every client evaluation
   * threw (its fine-tune before evaluating trains outside the rounds, which DP-SGD's accountant
   * does not count) and the run reported no client accuracy. It is refused at config time, naming
   * the adapter options and privacy.mode and where they were set.
   */
  @Test
  void sampleLevelDpRefusesAMethodThatTrainsOutsideTheRounds() {
    Map<String, Object> dpaF = Map.of("adapter.method", "feddpa", "adapter.variant", "F");
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(dpaF, Map.of("privacy.mode", "sample"), "run.toml"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "run.toml, --set: adapter.method = \"feddpa\" with adapter.variant = \"F\","
                    + " adapter.finetune_epochs = 1.0 trains on each client's data outside the"
                    + " rounds"),
        e.getMessage());
    assertTrue(e.getMessage().contains("privacy.mode = \"sample\""), e.getMessage());
    // FedDPA-T trains only in the rounds; F without a fine-tune trains nowhere else; client-level
    // DP protects what the clients send, not their own evaluation
    Map<String, String> sample = Map.of("privacy.mode", "sample");
    SimulationConfig.of(Map.of("adapter.method", "feddpa", "adapter.variant", "T"), sample, "r");
    SimulationConfig.of(
        Map.of("adapter.method", "feddpa", "adapter.variant", "F", "adapter.finetune_epochs", 0L),
        sample,
        "r");
    SimulationConfig.of(dpaF, Map.of("privacy.mode", "client"), "r");
  }

  /**
   * QA, 5 December: a run's saved config.json was read by {@code simulate --resume} through gson's
   * lenient parser, so a key written twice (an edit that added a line instead of changing one) took
   * its last value without a word, and comments passed; it is parsed as strictly as the run's other
   * JSON files. Fails on the old code.
   */
  @Test
  void aSavedConfigIsParsedStrictly() {
    String saved = SimulationConfig.of(Map.of(), Map.of(), "run.toml").toJson();
    assertEquals(
        "duplicate key 'rounds' at line 1 column 16",
        assertThrows(
                IllegalArgumentException.class,
                () -> SimulationConfig.fromJson("{\"rounds\": 3, \"rounds\": 4}"))
            .getMessage());
    assertEquals(
        "not valid JSON: malformed JSON at line 1 column 3 path $.",
        assertThrows(
                IllegalArgumentException.class,
                () -> SimulationConfig.fromJson("{/* c */ \"rounds\": 3}"))
            .getMessage());
    assertEquals(
        SimulationConfig.of(Map.of(), Map.of(), "run.toml").values(),
        SimulationConfig.fromJson(saved).values());
  }

  /**
   * Review, 3 December: the budgets refusal ran on a run's saved config.json too, so a run started
   * before it with fedit + lora and client.budgets could never be resumed (and config.json may not
   * be edited). A saved config is restored as it started.
   */
  @Test
  void aSavedConfigWithBudgetsNothingReadsIsRestored() {
    com.google.gson.JsonObject saved =
        com.google.gson.JsonParser.parseString(
                SimulationConfig.of(Map.of(), Map.of(), "run.toml").toJson())
            .getAsJsonObject();
    saved.addProperty("client.budgets", "0.5");
    assertThrows(
        ConfigException.class,
        () -> SimulationConfig.of(Map.of(), Map.of("client.budgets", "0.5"), "run.toml"));
    SimulationConfig restored = SimulationConfig.fromJson(saved.toString());
    assertEquals("0.5", restored.values().get("client.budgets"));
    assertEquals(restored.values(), SimulationConfig.fromJson(restored.toJson()).values());
  }

  /**
   * User audit: client.budgets = "uniform" with the default adapter.method = "lora" and
   * server.strategy = "fedit" was accepted, and every client trained its whole adapter: the run
   * looked like heterogeneous compute and was not. The key is refused unless the adapter method
   * (with its options) or the strategy reads a client's budget, naming the method and strategy in
   * use, where they were set, and those that read budgets; it stays accepted for each that does,
   * and at its default (empty, so that a config.json, which holds every key, reads back).
   */
  @Test
  void budgetsThatNoMethodOrStrategyReadsAreRefused() throws IOException {
    Path f =
        write(
            "b.toml",
            "rounds = 3\n[client]\nbudgets = \"uniform\"\n".getBytes(StandardCharsets.UTF_8));
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(
        f
            + ":3: client.budgets = \"uniform\" does nothing with adapter.method = \"lora\" and"
            + " server.strategy = \"fedit\": neither reads a client's compute budget, so every"
            + " client would train as with budget 1. Budgets are read by adapter.method = ravan"
            + " and by server.strategy = fedbe, flexlora or hetlora; use one of them, or leave"
            + " client.budgets out",
        e.getMessage());
    // top-blocks with FedAvg (fedbe.sh's contender), Fed-SB (one head), Ravan with one head, and
    // no adapter: refused, naming the method, the strategy and where each was set
    String[][] refused = {
      {"top-blocks", "fedavg", "adapter.method = \"top-blocks\" and server.strategy = \"fedavg\""},
      {"fed-sb", "fedavg", "adapter.method = \"fed-sb\" and server.strategy = \"fedavg\""},
      {"none", "fedavg", "adapter.method = \"none\" and server.strategy = \"fedavg\""},
    };
    for (String[] c : refused) {
      e =
          assertThrows(
              ConfigException.class,
              () ->
                  SimulationConfig.of(
                      Map.of("adapter.method", c[0], "server.strategy", c[1]),
                      Map.of("client.budgets", "skewed"),
                      "run.toml"));
      assertTrue(
          e.getMessage()
              .startsWith("--set, run.toml: client.budgets = \"skewed\" does nothing with " + c[2]),
          e.getMessage());
    }
    e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of(
                        "adapter.method",
                        "ravan",
                        "adapter.heads",
                        1L,
                        "server.strategy",
                        "fedavg"),
                    Map.of("client.budgets", "0.5"),
                    "run.toml"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "--set, run.toml: client.budgets = \"0.5\" does nothing with adapter.method ="
                    + " \"ravan\" with adapter.heads = 1 and server.strategy = \"fedavg\""),
        e.getMessage());
    // each method and strategy that reads budgets accepts them
    Map<String, String> budgets = Map.of("client.budgets", "skewed");
    SimulationConfig.of(
        Map.of("adapter.method", "ravan", "server.strategy", "fedavg"), budgets, "r");
    SimulationConfig.of(Map.of("server.strategy", "hetlora"), budgets, "r");
    SimulationConfig.of(Map.of("server.strategy", "flexlora"), budgets, "r");
    SimulationConfig.of(
        Map.of("adapter.method", "fedbe", "server.strategy", "fedbe"), budgets, "r");
    // at the default (also written out as "" in config.json), or blank: nothing to refuse
    SimulationConfig plain = SimulationConfig.of(Map.of(), Map.of("client.budgets", " "), "r");
    assertEquals(plain.values(), SimulationConfig.fromJson(plain.toJson()).values());
    SimulationConfig ravan =
        SimulationConfig.of(
            Map.of("adapter.method", "ravan", "server.strategy", "fedavg"), budgets, "r");
    assertEquals(ravan.values(), SimulationConfig.fromJson(ravan.toJson()).values());
  }

  /**
   * QA: HetLoRA and FlexLoRA with LoRA rank 1 give every client rank max(1, round(budget)) = 1, and
   * FedBE with one block gives every client that block, yet client.budgets was accepted with them.
   * The strategy's usesBudgets now takes the adapter: refused, naming the option that stops it;
   * accepted again with rank 2 or two blocks.
   */
  @Test
  void budgetsThatTheAdapterOptionsMakeIdenticalAreRefused() {
    Map<String, String> budgets = Map.of("client.budgets", "uniform");
    Object[][] refused = {
      {"lora", "hetlora", "rank", 1L, "adapter.rank = 1"},
      {"lora", "flexlora", "rank", 1L, "adapter.rank = 1"},
      {"fedbe", "fedbe", "blocks", 1L, "adapter.blocks = 1"},
    };
    for (Object[] c : refused) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () ->
                  SimulationConfig.of(
                      Map.of(
                          "adapter.method", c[0], "server.strategy", c[1], "adapter." + c[2], c[3]),
                      budgets,
                      "run.toml"));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "--set, run.toml: client.budgets = \"uniform\" does nothing with adapter.method"
                      + " = \""
                      + c[0]
                      + "\" and server.strategy = \""
                      + c[1]
                      + "\" with "
                      + c[4]
                      + ": with these adapter options a client's budget changes nothing, so every"
                      + " client would train as with budget 1."),
          e.getMessage());
      assertTrue(e.getMessage().contains("change those options"), e.getMessage());
      // one more rank or block and budgets differ: accepted
      SimulationConfig.of(
          Map.of("adapter.method", c[0], "server.strategy", c[1], "adapter." + c[2], 2L),
          budgets,
          "r");
    }
  }

  /** client.budgets' description names the built-in methods and strategies that read budgets. */
  @Test
  void budgetsDescriptionNamesWhatReadsThem() {
    String d = SimulationConfig.SCHEMA.keys().get("client.budgets").description();
    org.fedpeft.peft.AdapterRegistry.builtIn()
        .forEach(
            (name, m) ->
                assertEquals(
                    m.usesBudgets(Map.of()),
                    d.contains("adapter.method = " + name + ","),
                    name + " in: " + d));
    org.fedpeft.federation.StrategyRegistry.all()
        .forEach(
            (name, p) ->
                assertEquals(
                    p.usesBudgets(),
                    java.util.regex.Pattern.compile("server.strategy = [a-z, -]*\\b" + name + "\\b")
                        .matcher(d)
                        .find(),
                    name + " in: " + d));
  }

  /**
   * User audit: "clients_per_round (5) exceeds clients (4)" (from a TOML file or --set) did not say
   * where the values came from, as an error about one key does. A check across keys names the file
   * and line (or --set) of each value that was set, in the order of the keys.
   */
  @Test
  void checksAcrossKeysNameWhereTheValuesCameFrom() throws IOException {
    Path f =
        write("run.toml", "clients = 4\nclients_per_round = 5\n".getBytes(StandardCharsets.UTF_8));
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(f + ":2, " + f + ":1: clients_per_round (5) exceeds clients (4)", e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.load(f, Map.of("clients_per_round", "6")));
    assertEquals("--set, " + f + ":1: clients_per_round (6) exceeds clients (4)", e.getMessage());
    // a key that kept its default is not a place
    e =
        assertThrows(
            ConfigException.class, () -> SimulationConfig.load(null, Map.of("clients", "2")));
    assertEquals("--set: clients_per_round (4) exceeds clients (2)", e.getMessage());
    // the data section's checks across its keys
    e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("data.corpus", "c.jsonl"), Map.of(), "run.toml"));
    assertTrue(e.getMessage().startsWith("run.toml: data.corpus needs data.file"), e.getMessage());
  }

  /**
   * Run folders written before the config was split into sections load back to the same values and
   * write the same bytes again. The two resources are config.json files as 0.1.0-SNAPSHOT (commit
   * 39691d5) wrote them (its SimulationConfig.toJson, pretty-printed as its Simulation.create does)
   * for examples/dp-sample-noun-topic.toml with {@code --set rounds=4 --set adapter.train_a=false
   * --set privacy.noise=seeded}, and for examples/ffa-lora-noun-topic.toml.
   */
  @Test
  void configJsonWrittenByVersion010StillLoads() throws IOException {
    for (String name : List.of("config-v0.1.0-dp-sample.json", "config-v0.1.0-ffa-lora.json")) {
      String old;
      try (InputStream in = SimulationConfigTest.class.getResourceAsStream(name)) {
        old = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      SimulationConfig c = SimulationConfig.fromJson(old);
      // Every key of the old file is written back with the same value; keys added since (such as
      // client.budgets) take their defaults.
      com.google.gson.JsonObject before = JsonParser.parseString(old).getAsJsonObject();
      com.google.gson.JsonObject again = JsonParser.parseString(c.toJson()).getAsJsonObject();
      for (var e : before.entrySet()) {
        assertEquals(e.getValue(), again.get(e.getKey()), name + ": " + e.getKey());
      }
      for (var e : again.entrySet()) {
        if (!before.has(e.getKey())) {
          assertEquals(
              SimulationConfig.of(Map.of(), Map.of(), "defaults").values().get(e.getKey()),
              c.values().get(e.getKey()),
              name + ": a key added since takes its default: " + e.getKey());
        }
      }
      assertEquals(c.values(), SimulationConfig.fromJson(c.toJson()).values());
    }
    SimulationConfig dp = load("config-v0.1.0-dp-sample.json");
    assertEquals("sample", dp.privacyMode());
    assertEquals(1.18797, dp.sampleNoiseMultiplier());
    assertEquals(4, dp.rounds());
    assertEquals(
        Map.of(
            "rank",
            "8",
            "alpha",
            "16",
            "dropout",
            "0.05",
            "targets",
            "query+value",
            "train_a",
            "false"),
        dp.adapterOptions());
    SimulationConfig ffa = load("config-v0.1.0-ffa-lora.json");
    assertEquals("ffa-lora", ffa.strategy());
    assertFalse(ffa.adapterOptions().containsKey("train_a"));
  }

  private static SimulationConfig load(String resource) throws IOException {
    try (InputStream in = SimulationConfigTest.class.getResourceAsStream(resource)) {
      return SimulationConfig.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
