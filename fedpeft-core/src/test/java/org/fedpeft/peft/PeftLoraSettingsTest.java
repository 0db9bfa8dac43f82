package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDScope;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.fedpeft.io.PeftAdapterConfig;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.peft.lora.LoraConfig;
import org.fedpeft.peft.ravan.RavanAdapter;
import org.fedpeft.peft.ravan.RavanExport;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.FrozenBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 4 December: a plain PEFT LoRA folder (no fedpeft files) was read as a LoRA of rank {@code r},
 * alpha {@code lora_alpha} on {@code target_modules}, whatever else its {@code adapter_config.json}
 * said, so {@code use_rslora}, {@code alpha_pattern}, {@code use_dora}, {@code bias}, {@code
 * modules_to_save}, ... loaded silently as another model than PEFT's. Each setting is now honoured
 * (the loaded adapter computes PEFT's update, checked against the formula by hand on a tiny model)
 * or refused naming the file and the field ({@link PeftLoraSettings}).
 */
class PeftLoraSettingsTest {

  @TempDir Path tmp;

  private static FrozenBase base;

  private int folders;

  @BeforeAll
  static void model() throws Exception {
    base = new FrozenBase(TinyModels.tiny(3)); // 2 layers, hidden 32
  }

  @AfterAll
  static void close() {
    base.close();
  }

  /**
   * Factors of rank {@code r} on module {@code path} (e.g. query) of {@code layer}: known values.
   */
  private static void factors(Map<String, HostTensor> into, int layer, String path, int r) {
    float[] a = new float[r * 32];
    float[] b = new float[32 * r];
    for (int i = 0; i < a.length; i++) {
      a[i] = ((i * 7 + layer) % 11 - 5) * 0.01f;
      b[i] = ((i * 5 + 3 * layer) % 13 - 6) * 0.02f;
    }
    into.put(
        PeftNames.loraKey(layer, path, PeftNames.LORA_A), new HostTensor(new long[] {r, 32}, a));
    into.put(
        PeftNames.loraKey(layer, path, PeftNames.LORA_B), new HostTensor(new long[] {32, r}, b));
  }

  /** A plain PEFT folder of {@code config} (a field set by {@code edit}) and {@code tensors}. */
  private Path folder(
      PeftAdapterConfig.Builder config,
      UnaryOperator<PeftAdapterConfig.Builder> edit,
      Map<String, HostTensor> tensors)
      throws Exception {
    Path dir = tmp.resolve("peft-" + folders++);
    PeftAdapterFiles.write(dir, edit.apply(config).build(), tensors);
    return dir;
  }

  /** r = 4 factors on query of both layers, lora_alpha 2, target_modules ["query"]. */
  private Path queryFolder(UnaryOperator<PeftAdapterConfig.Builder> edit) throws Exception {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    factors(t, 0, "query", 4);
    factors(t, 1, "query", 4);
    return folder(PeftAdapterConfig.builder(4, 2.0, List.of("query")), edit, t);
  }

  /** (scaling) B A of the folder's factors of module query of {@code layer}, by hand, (32, 32). */
  private static double[] byHand(AdapterFiles.Saved saved, int layer, double scaling) {
    String module = "encoder.layer." + layer + ".attention.self.query";
    HostTensor a = saved.adapterTensors().get(module + ".lora_A"); // (r, 32)
    HostTensor b = saved.adapterTensors().get(module + ".lora_B"); // (32, r)
    int r = (int) a.shape()[0];
    double[] out = new double[32 * 32];
    for (int o = 0; o < 32; o++) {
      for (int i = 0; i < 32; i++) {
        double s = 0;
        for (int k = 0; k < r; k++) {
          s += (double) b.data()[o * r + k] * a.data()[k * 32 + i];
        }
        out[o * 32 + i] = scaling * s;
      }
    }
    return out;
  }

  /** Loads the folder and checks that query of {@code layer} changes by (scaling) B A. */
  private static AdapterFiles.Saved assertUpdate(Path dir, int layer, double scaling)
      throws Exception {
    AdapterFiles.Saved saved = AdapterFiles.read(dir);
    double[] want = byHand(saved, layer, scaling);
    try (LoraAdapter a = (LoraAdapter) AdapterFiles.instantiate(dir, saved, base.encoder());
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      float[] got = a.deltaWeight(layer, 0).toFloatArray();
      double max = 0;
      for (int i = 0; i < want.length; i++) {
        assertEquals(want[i], got[i], 1e-6 * Math.max(1, Math.abs(want[i])), "element " + i);
        max = Math.max(max, Math.abs(want[i]));
      }
      assertTrue(max > 1e-3, "the update is not zero");
    }
    return saved;
  }

  private static String refusal(Path dir) {
    return assertThrows(IllegalArgumentException.class, () -> AdapterFiles.read(dir)).getMessage();
  }

  /** rsLoRA scales B A by lora_alpha / sqrt(r): 2 / sqrt(4) = 1, where alpha / r would be 0.5. */
  @Test
  void useRsloraScalesByAlphaOverTheRootOfTheRank() throws Exception {
    Path dir = queryFolder(c -> c.useRslora(true));
    assertUpdate(dir, 0, 1.0);
    assertUpdate(dir, 1, 1.0);

    // At r = 8 and lora_alpha 16 the scaling 16 / sqrt(8) is irrational: fedpeft's float32 scaling
    // is PEFT's, alpha / sqrt(r) rounded to float32.
    Map<String, HostTensor> t = new LinkedHashMap<>();
    factors(t, 0, "value", 8);
    Path r8 =
        folder(PeftAdapterConfig.builder(8, 16.0, List.of("value")), c -> c.useRslora(true), t);
    LoraConfig lora = LoraConfig.fromOptions(AdapterFiles.read(r8).options());
    assertEquals((float) (16 / Math.sqrt(8)), lora.scaling());
  }

  /**
   * rank_pattern and alpha_pattern that give every module of the folder the same rank and alpha are
   * that rank and alpha: rank 2 and alpha 6 on query, so the scaling is 6 / 2 = 3.
   */
  @Test
  void patternsGivingEveryModuleTheSameRankAndAlphaAreHonoured() throws Exception {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    factors(t, 0, "query", 2);
    factors(t, 1, "query", 2);
    Path dir =
        folder(
            PeftAdapterConfig.builder(8, 16.0, List.of("query", "value")),
            c -> c.rankPattern(Map.of("query", 2)).alphaPattern(Map.of("query", 6.0)),
            t);
    AdapterFiles.Saved saved = assertUpdate(dir, 1, 3.0);
    assertEquals("2", saved.options().get("rank"));

    // With rsLoRA as well: 6 / sqrt(2).
    dir =
        folder(
            PeftAdapterConfig.builder(8, 16.0, List.of("query", "value")),
            c ->
                c.rankPattern(Map.of("query", 2))
                    .alphaPattern(Map.of("query", 6.0))
                    .useRslora(true),
            t);
    assertUpdate(dir, 0, 6 / Math.sqrt(2));
  }

  /** fedpeft's LoRA has one rank and one alpha: patterns that give modules different ones. */
  @Test
  void patternsGivingModulesDifferentRanksOrAlphasAreRefused() throws Exception {
    Path alpha =
        queryFolder(c -> c.alphaPattern(Map.of("encoder.layer.1.attention.self.query", 8.0)));
    assertEquals(
        alpha.resolve(PeftAdapterFiles.CONFIG_FILE)
            + ": field \"alpha_pattern\" gives module encoder.layer.0.attention.self.query alpha"
            + " 2.0 and module encoder.layer.1.attention.self.query alpha 8.0: fedpeft's LoRA has"
            + " one alpha for every module; fedpeft loads a folder whose alpha_pattern gives every"
            + " module whose factors it holds the same alpha (or is {})",
        refusal(alpha));

    Map<String, HostTensor> t = new LinkedHashMap<>();
    factors(t, 0, "query", 2);
    factors(t, 1, "query", 4);
    Path rank =
        folder(
            PeftAdapterConfig.builder(4, 2.0, List.of("query")),
            c -> c.rankPattern(Map.of("layer.0.attention.self.query", 2)),
            t);
    assertTrue(
        refusal(rank)
            .startsWith(
                rank.resolve(PeftAdapterFiles.CONFIG_FILE)
                    + ": field \"rank_pattern\" gives module encoder.layer.0.attention.self.query"
                    + " rank 2 and module encoder.layer.1.attention.self.query rank 4"),
        refusal(rank));
  }

  /**
   * layers_to_transform and exclude_modules leave some modules of target_modules without LoRA: the
   * adapter's targets are the modules whose factors the folder holds (it adapted and would train
   * query of both layers before), and a factor on a module they exclude, which PEFT would not load,
   * is refused.
   */
  @Test
  void layersToTransformAndExcludeModulesNarrowTheTargets() throws Exception {
    Map<String, HostTensor> layer1 = new LinkedHashMap<>();
    factors(layer1, 1, "query", 4);
    factors(layer1, 1, "value", 4);
    List<UnaryOperator<PeftAdapterConfig.Builder>> narrowing =
        List.of(
            c -> c.layersToTransform(List.of(1)),
            c -> c.layersToTransform(List.of(1)).layersPattern("layer"),
            c ->
                c.set(
                    "exclude_modules",
                    JsonParser.parseString("\"encoder\\\\.layer\\\\.0\\\\..*\"")),
            c ->
                c.set(
                    "exclude_modules",
                    JsonParser.parseString(
                        "[\"encoder.layer.0.attention.self.query\","
                            + " \"layer.0.attention.self.value\"]")));
    for (UnaryOperator<PeftAdapterConfig.Builder> narrow : narrowing) {
      Path dir =
          folder(PeftAdapterConfig.builder(4, 2.0, List.of("query", "value")), narrow, layer1);
      AdapterFiles.Saved saved = assertUpdate(dir, 1, 0.5);
      assertEquals(
          "encoder.layer.1.attention.self.query+encoder.layer.1.attention.self.value",
          saved.options().get("targets"));
      try (Adapter a = AdapterFiles.instantiate(dir, saved, base.encoder())) {
        assertEquals(saved.adapterTensors().keySet(), a.state().keySet());
      }
    }

    Map<String, HostTensor> both = new LinkedHashMap<>(layer1);
    factors(both, 0, "query", 4);
    Path dir =
        folder(
            PeftAdapterConfig.builder(4, 2.0, List.of("query", "value")),
            c -> c.layersToTransform(List.of(1)),
            both);
    assertEquals(
        dir.resolve(PeftAdapterFiles.CONFIG_FILE)
            + ": the folder holds tensor '"
            + PeftNames.loraKey(0, "query", PeftNames.LORA_A)
            + "', but target_modules, layers_to_transform leave module"
            + " encoder.layer.0.attention.self.query without LoRA, so PEFT would not load it;"
            + " fedpeft loads a folder whose factors are all on modules its settings target",
        refusal(dir));
  }

  /** Each setting fedpeft's LoRA cannot compute, away from PEFT's default, is refused. */
  @Test
  void settingsFedpeftCannotComputeAreRefusedNamingTheFileAndTheField() throws Exception {
    Map<String, String[]> refused = new LinkedHashMap<>();
    refused.put("use_dora", new String[] {"true", "false"});
    refused.put("bias", new String[] {"\"lora_only\"", "\"none\""});
    refused.put("modules_to_save", new String[] {"[\"classifier\"]", "null or []"});
    refused.put("lora_bias", new String[] {"true", "false"});
    refused.put("use_qalora", new String[] {"true", "false"});
    refused.put("layer_replication", new String[] {"[[0,2],[1,2]]", "null"});
    refused.put("trainable_token_indices", new String[] {"[5,6]", "null"});
    refused.put(
        "target_parameters", new String[] {"[\"attention.self.query.weight\"]", "null or []"});
    refused.put("alora_invocation_tokens", new String[] {"[101,102]", "null"});
    refused.put("use_bdlora", new String[] {"{\"nblocks\":2}", "null"});
    refused.put("arrow_config", new String[] {"{\"top_k\":2}", "null"});
    refused.put("kasa_config", new String[] {"{}", "null"});
    refused.put("monteclora_config", new String[] {"{}", "null"});
    String inits = "true, false, \"gaussian\", \"eva\", \"orthogonal\" or \"mica\"";
    for (String init : List.of("pissa", "pissa_niter_4", "corda", "olora", "lora_ga", "loftq")) {
      refused.put("init_lora_weights=" + init, new String[] {"\"" + init + "\"", inits});
    }
    for (var e : refused.entrySet()) {
      String field = e.getKey().replaceFirst("=.*", "");
      String value = e.getValue()[0];
      Path dir = queryFolder(c -> c.set(field, JsonParser.parseString(value)));
      String message = refusal(dir);
      String start =
          dir.resolve(PeftAdapterFiles.CONFIG_FILE)
              + ": field \""
              + field
              + "\" is "
              + value
              + ": ";
      String end = "; fedpeft loads a folder whose " + field + " is " + e.getValue()[1];
      assertTrue(message.startsWith(start) && message.endsWith(end), message);
    }
  }

  /**
   * Every one of those settings at PEFT's default (as recent PEFT versions write them) loads as
   * before, and so do the initialisations that leave the base model as it is, and fan_in_fan_out,
   * which PEFT sets back to false on a torch.nn.Linear module (every module of a BERT layer): the
   * adapter is r = 4, alpha 2 on query, scaling alpha / r.
   */
  @Test
  void defaultsAndSettingsThatChangeNothingLoadAsBefore() throws Exception {
    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put("use_dora", "false");
    defaults.put("bias", "\"none\"");
    defaults.put("modules_to_save", "[]");
    defaults.put("lora_bias", "false");
    defaults.put("use_qalora", "false");
    defaults.put("qalora_group_size", "16");
    defaults.put("layer_replication", "null");
    defaults.put("trainable_token_indices", "null");
    defaults.put("target_parameters", "null");
    defaults.put("alora_invocation_tokens", "null");
    defaults.put("use_bdlora", "null");
    defaults.put("arrow_config", "null");
    defaults.put("kasa_config", "null");
    defaults.put("monteclora_config", "null");
    defaults.put("exclude_modules", "null");
    defaults.put("loftq_config", "{}");
    defaults.put("megatron_core", "\"megatron.core\"");
    UnaryOperator<PeftAdapterConfig.Builder> all =
        c -> {
          defaults.forEach((k, v) -> c.set(k, JsonParser.parseString(v)));
          return c;
        };
    List<UnaryOperator<PeftAdapterConfig.Builder>> same =
        List.of(
            all,
            c -> c.fanInFanOut(true),
            c -> c.initLoraWeights(false),
            c -> c.set("init_lora_weights", JsonParser.parseString("\"gaussian\"")),
            c -> c.set("init_lora_weights", JsonParser.parseString("\"eva\"")),
            c -> c.set("init_lora_weights", JsonParser.parseString("\"orthogonal\"")),
            c -> c.set("init_lora_weights", JsonParser.parseString("\"mica\"")));
    for (UnaryOperator<PeftAdapterConfig.Builder> edit : same) {
      AdapterFiles.Saved saved = assertUpdate(queryFolder(edit), 0, 0.5);
      assertEquals(
          Map.of("rank", "4", "alpha", "2.0", "dropout", "0.0", "targets", "query"),
          saved.options());
    }
  }

  /**
   * QA, 5 December: a field fedpeft did not know (a later PEFT's setting) was ignored, so a folder
   * that needs it loaded as another model than PEFT's without a word. One whose value turns
   * something on is now refused naming the file, the field and its value; null, false, [] and {}
   * turn nothing on and load as before.
   */
  @Test
  void anUnknownFieldThatTurnsSomethingOnIsRefusedNamingTheFileTheFieldAndItsValue()
      throws Exception {
    for (String value : List.of("true", "2", "0.5", "\"block\"", "[3]", "{\"k\":1}")) {
      Path dir = queryFolder(c -> c.set("use_newlora", JsonParser.parseString(value)));
      assertEquals(
          dir.resolve(PeftAdapterFiles.CONFIG_FILE)
              + ": field \"use_newlora\" is "
              + value
              + ": fedpeft does not know this field (PEFT's LoRA has none of this name up to"
              + " version 0.20; a later version may compute more than LoRA's (alpha / r) B A x"
              + " with it), so it cannot tell whether it computes what PEFT computes with the"
              + " folder; fedpeft loads a folder whose fields it does not know are absent, null,"
              + " false, [] or {}",
          refusal(dir));
    }
    // PEFT 0.2's fused-module setting, which later versions drop.
    Path fused =
        queryFolder(c -> c.set("enable_lora", JsonParser.parseString("[true, false, true]")));
    assertTrue(
        refusal(fused)
            .startsWith(
                fused.resolve(PeftAdapterFiles.CONFIG_FILE)
                    + ": field \"enable_lora\" is [true,false,true]: PEFT 0.2 put LoRA on some"),
        refusal(fused));
    for (String off : List.of("null", "false", "[]", "{}")) {
      AdapterFiles.Saved saved =
          assertUpdate(queryFolder(c -> c.set("use_newlora", JsonParser.parseString(off))), 0, 0.5);
      assertEquals("4", saved.options().get("rank"));
    }
  }

  /**
   * Every field of PEFT 0.20's LoraConfig (and of the PeftConfig it extends), and those older
   * versions wrote, is known: interpreted, refused away from its default, or unable to change what
   * the folder computes, so that none is refused as unknown. The list is PEFT's, from {@code
   * src/peft/tuners/lora/config.py} and {@code src/peft/config.py} of huggingface/peft at 0.20
   * (runtime_config is not saved) and of its history (merge_weights, enable_lora).
   */
  @Test
  void everyFieldOfPeftsLoraConfigIsKnown() {
    List<String> peft =
        List.of(
            "task_type",
            "peft_type",
            "auto_mapping",
            "peft_version",
            "base_model_name_or_path",
            "revision",
            "inference_mode",
            "r",
            "target_modules",
            "exclude_modules",
            "lora_alpha",
            "lora_dropout",
            "fan_in_fan_out",
            "bias",
            "use_rslora",
            "modules_to_save",
            "init_lora_weights",
            "layers_to_transform",
            "layers_pattern",
            "rank_pattern",
            "alpha_pattern",
            "megatron_config",
            "megatron_core",
            "trainable_token_indices",
            "loftq_config",
            "eva_config",
            "corda_config",
            "lora_ga_config",
            "use_dora",
            "velora_config",
            "alora_invocation_tokens",
            "use_qalora",
            "qalora_group_size",
            "monteclora_config",
            "layer_replication",
            "runtime_config",
            "lora_bias",
            "target_parameters",
            "use_bdlora",
            "arrow_config",
            "kasa_config",
            "ensure_weight_tying",
            "merge_weights",
            "enable_lora");
    for (String field : peft) {
      assertTrue(PeftLoraSettings.known(field), field);
    }
    assertTrue(!PeftLoraSettings.known("use_newlora"));
  }

  /**
   * The fields that cannot change what the folder computes load at any value, as PEFT writes them
   * when the option they belong to is on (here a 0.20 config with EVA's, VeLoRA's and Megatron's
   * options, the PEFT version and weight tying).
   */
  @Test
  void fieldsThatCannotChangeTheForwardPassLoadAtAnyValue() throws Exception {
    Map<String, String> set = new LinkedHashMap<>();
    set.put("peft_version", "\"0.20.0\"");
    set.put("auto_mapping", "{\"base_model_class\": \"BertModel\", \"parent_library\": \"x\"}");
    set.put("megatron_config", "{\"tensor_model_parallel_size\": 2}");
    set.put("megatron_core", "\"megatron.core\"");
    set.put("eva_config", "{\"rho\": 2.0, \"tau\": 0.99, \"whiten\": false}");
    set.put("velora_config", "{\"num_groups\": 64, \"scale\": 1.0}");
    set.put("corda_config", "{\"corda_method\": \"ipm\"}");
    set.put("lora_ga_config", "{\"direction\": \"ArB2r\"}");
    set.put("loftq_config", "{\"loftq_bits\": 4, \"loftq_iter\": 1}");
    set.put("qalora_group_size", "32");
    set.put("ensure_weight_tying", "true");
    set.put("runtime_config", "{\"ephemeral_gpu_offload\": true}");
    set.put("merge_weights", "true");
    AdapterFiles.Saved saved =
        assertUpdate(
            queryFolder(
                c -> {
                  set.forEach((k, v) -> c.set(k, JsonParser.parseString(v)));
                  return c;
                }),
            1,
            0.5);
    assertEquals(
        Map.of("rank", "4", "alpha", "2.0", "dropout", "0.0", "targets", "query"), saved.options());
  }

  /**
   * LoRA on the word embeddings (lora_embedding_A/B), and a module PEFT saved whole (a SEQ_CLS
   * model's classifier), are refused naming the weights file (the message named neither before).
   */
  @Test
  void embeddingFactorsAndWholeModulesAreRefusedNamingTheWeightsFile() throws Exception {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    factors(t, 0, "query", 4);
    String a = PeftAdapterFiles.PREFIX + "embeddings.word_embeddings.lora_embedding_A";
    t.put(a, HostTensor.zeros(4, 30522));
    t.put(
        PeftAdapterFiles.PREFIX + "embeddings.word_embeddings.lora_embedding_B",
        HostTensor.zeros(32, 4));
    Path dir =
        folder(PeftAdapterConfig.builder(4, 2.0, List.of("query", "word_embeddings")), c -> c, t);
    String message = refusal(dir);
    assertTrue(
        message.startsWith(
            dir.resolve(PeftAdapterFiles.WEIGHTS_FILE)
                + ": tensor '"
                + a
                + "' is LoRA on an embedding (lora_embedding_A/B), which fedpeft does not compute"),
        message);

    Map<String, HostTensor> classifier = new LinkedHashMap<>();
    factors(classifier, 0, "query", 4);
    classifier.put(PeftAdapterFiles.PREFIX + "classifier.weight", HostTensor.zeros(2, 32));
    dir = folder(PeftAdapterConfig.builder(4, 2.0, List.of("query")), c -> c, classifier);
    message = refusal(dir);
    assertTrue(
        message.startsWith(
            dir.resolve(PeftAdapterFiles.WEIGHTS_FILE)
                + ": not a PEFT LoRA tensor name of a BERT layer: '"
                + PeftAdapterFiles.PREFIX
                + "classifier.weight'"),
        message);
    assertTrue(
        message.endsWith("(not modules PEFT saved whole, such as a classifier, nor biases)"));
  }

  /**
   * A folder an earlier fedpeft wrote (its options under the fedpeft key) whose PEFT fields were
   * edited to scale otherwise (here use_rslora) is refused: the options and PEFT would disagree.
   */
  @Test
  void fedpeftOptionsThatDisagreeWithPeftsScalingAreRefused() throws Exception {
    Path dir = tmp.resolve("old");
    Files.createDirectories(dir);
    Path old = OldAdapterFolderTest.folder();
    for (String f :
        List.of(
            PeftAdapterFiles.CONFIG_FILE, PeftAdapterFiles.WEIGHTS_FILE, AdapterFiles.HEAD_FILE)) {
      Files.copy(old.resolve(f), dir.resolve(f));
    }
    assertEquals("16.0", AdapterFiles.read(dir).options().get("alpha"));
    Path config = dir.resolve(PeftAdapterFiles.CONFIG_FILE);
    JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    c.add("use_rslora", JsonParser.parseString("true"));
    Files.writeString(config, c.toString());
    String message = refusal(dir);
    assertTrue(
        message.startsWith(
            config
                + ": fedpeft.options give the scaling alpha / rank = 2.0, but PEFT scales module"
                + " encoder.layer.0.attention.self.query by 5.65685"),
        message);
  }

  /**
   * PEFT trains and loads a LoRA of a rank above min(out, in) of its modules (r = 40 on the tiny
   * model's 32 x 32 query); it was refused as a setting that only costs memory ("give rank {@code
   * <=} 32"), which a folder's existing factors are not. It loads as PEFT computes it: (alpha / r)
   * B A.
   */
  @Test
  void aRankAboveTheModulesSizeLoadsAsPeftComputesIt() throws Exception {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    factors(t, 0, "query", 40);
    factors(t, 1, "query", 40);
    Path dir = folder(PeftAdapterConfig.builder(40, 2.0, List.of("query")), c -> c, t);
    assertEquals("40", assertUpdate(dir, 0, 2.0 / 40).options().get("rank"));
    assertUpdate(dir, 1, 2.0 / 40);
  }

  /**
   * Ravan's PEFT export is one LoRA of rank heads * rank, which init = normal lets exceed a
   * module's size (2 heads of rank 20 on the tiny model's 32 x 32 modules): without the fedpeft
   * files beside it, the folder loads as that LoRA, and computes the Ravan adapter's update.
   */
  @Test
  void aRavanExportOfMoreThanTheModulesSizeLoadsAsALora() throws Exception {
    Map<String, String> options =
        Map.of("heads", "2", "rank", "20", "init", "normal", "targets", "query+value");
    Path dir = tmp.resolve("ravan-export");
    try (RavanAdapter ravan =
            (RavanAdapter) AdapterRegistry.get("ravan").create(options, base.encoder(), 5);
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      Map<String, HostTensor> cores = new LinkedHashMap<>();
      for (AdapterTensor core : ravan.tensors()) {
        if (core.role() == Role.GLOBAL) {
          float[] v = new float[(int) core.array().size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = ((i * 3 + cores.size()) % 7 - 3) * 0.1f;
          }
          cores.put(core.name(), new HostTensor(core.array().getShape().getShape(), v));
        }
      }
      ravan.loadState(cores);
      RavanExport.write(dir, ravan, "tiny", new JsonObject());
      AdapterFiles.Saved saved = AdapterFiles.read(dir);
      assertEquals("lora", saved.method());
      assertEquals("40", saved.options().get("rank"));
      try (LoraAdapter lora = (LoraAdapter) AdapterFiles.instantiate(dir, saved, base.encoder())) {
        for (int module : new int[] {0, 2}) {
          float[] want = ravan.deltaWeight(1, module).toFloatArray();
          float[] got = lora.deltaWeight(1, module).toFloatArray();
          double max = 0;
          for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5 * Math.max(1, Math.abs(want[i])), "element " + i);
            max = Math.max(max, Math.abs(want[i]));
          }
          assertTrue(max > 1e-3, "the update is not zero");
        }
      }
    }
  }
}
