package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PeftAdapterConfigTest {

  /** adapter_config.json as PEFT 0.13 writes it (json.dumps(indent=2, sort_keys=True)). */
  static final String PEFT_WRITTEN =
      """
      {
        "alpha_pattern": {},
        "auto_mapping": null,
        "base_model_name_or_path": "sentence-transformers/all-MiniLM-L6-v2",
        "bias": "none",
        "eva_config": null,
        "exclude_modules": null,
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "layer_replication": null,
        "layers_pattern": null,
        "layers_to_transform": null,
        "loftq_config": {},
        "lora_alpha": 16,
        "lora_bias": false,
        "lora_dropout": 0.1,
        "megatron_config": null,
        "megatron_core": "megatron.core",
        "modules_to_save": [
          "classifier",
          "score"
        ],
        "peft_type": "LORA",
        "r": 8,
        "rank_pattern": {},
        "revision": null,
        "target_modules": [
          "value",
          "query"
        ],
        "task_type": "SEQ_CLS",
        "use_dora": false,
        "use_rslora": false
      }"""
          .stripIndent();

  @Test
  void readsWhatPeftWritesAndWritesItBackIdentically() {
    PeftAdapterConfig c = PeftAdapterConfig.parse(PEFT_WRITTEN);
    assertEquals("LORA", c.peftType());
    assertEquals(Optional.of("SEQ_CLS"), c.taskType());
    assertEquals(8, c.r());
    assertEquals(16.0, c.loraAlpha());
    assertEquals(0.1, c.loraDropout());
    assertEquals(List.of("value", "query"), c.targetModules());
    assertEquals(Optional.empty(), c.targetModulesRegex());
    assertEquals("none", c.bias());
    assertFalse(c.fanInFanOut());
    assertTrue(c.inferenceMode());
    assertEquals(Optional.of("sentence-transformers/all-MiniLM-L6-v2"), c.baseModelNameOrPath());
    assertEquals(List.of("classifier", "score"), c.modulesToSave());
    assertEquals(new JsonPrimitive(true), c.initLoraWeights());
    assertEquals(Optional.empty(), c.revision());
    assertEquals(List.of(), c.layersToTransform());
    assertEquals(Map.of(), c.rankPattern());
    assertFalse(c.useRslora());
    assertFalse(c.useDora());
    assertEquals(
        List.of(
            "auto_mapping",
            "eva_config",
            "layer_replication",
            "loftq_config",
            "lora_bias",
            "megatron_config",
            "megatron_core"),
        List.copyOf(c.unknownFields().keySet()));
    assertEquals(PEFT_WRITTEN, c.toJsonString());
  }

  @Test
  void builderWritesPeftDefaults() {
    PeftAdapterConfig c =
        PeftAdapterConfig.builder(8, 16, List.of("query", "value"))
            .taskType("FEATURE_EXTRACTION")
            .baseModelNameOrPath("sentence-transformers/all-MiniLM-L6-v2")
            .build();
    JsonObject expected =
        JsonParser.parseString(
                """
                {"peft_type": "LORA", "task_type": "FEATURE_EXTRACTION", "r": 8, "lora_alpha": 16,
                 "lora_dropout": 0.0, "target_modules": ["query", "value"], "bias": "none",
                 "fan_in_fan_out": false, "inference_mode": true,
                 "base_model_name_or_path": "sentence-transformers/all-MiniLM-L6-v2",
                 "modules_to_save": null, "init_lora_weights": true, "revision": null,
                 "layers_to_transform": null, "layers_pattern": null, "rank_pattern": {},
                 "alpha_pattern": {}, "use_rslora": false, "use_dora": false}""")
            .getAsJsonObject();
    assertEquals(expected, c.toJson());
    String text = c.toJsonString();
    assertTrue(text.contains("\n  \"lora_alpha\": 16,\n"), text);
    assertTrue(text.contains("\n  \"revision\": null,\n"), text);
    assertTrue(text.contains("\n  \"rank_pattern\": {},\n"), text);
    assertTrue(text.startsWith("{\n  \"alpha_pattern\": {},\n"), text);
    assertFalse(text.contains(PeftAdapterConfig.FEDPEFT_KEY), "no empty fedpeft object");
    assertEquals(c, PeftAdapterConfig.parse(text));
  }

  @Test
  void fedpeftExtrasAndToBuilderKeepEverything() {
    JsonObject extras = new JsonObject();
    extras.addProperty("method", "ravan");
    extras.addProperty("heads", 4);
    PeftAdapterConfig c =
        PeftAdapterConfig.builder(4, 8, List.of("query"))
            .fedpeft(extras)
            .set("future_field", new JsonArray())
            .build();
    assertEquals(extras, c.fedpeft());
    PeftAdapterConfig copy = c.toBuilder().r(16).build();
    assertEquals(16, copy.r());
    assertEquals(extras, copy.fedpeft());
    assertTrue(copy.unknownFields().has("future_field"));
    assertEquals(c, copy.toBuilder().r(4).build());
  }

  @ParameterizedTest
  @ValueSource(strings = {"peft_type", "r", "lora_alpha", "target_modules"})
  void missingRequiredFieldIsNamed(String field) {
    JsonObject json = PeftAdapterConfig.parse(PEFT_WRITTEN).toJson();
    json.remove(field);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PeftAdapterConfig.fromJson(json));
    assertEquals("missing required field '" + field + "'", e.getMessage());
  }

  @Test
  void wrongFieldValuesAreNamed() {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("\"r\": \"8\"", "field 'r' must be an integer");
    cases.put("\"r\": 0", "field 'r' must be positive");
    cases.put("\"r\": 2.5", "field 'r' must be an integer");
    cases.put("\"lora_alpha\": \"x\"", "field 'lora_alpha' must be a number");
    cases.put("\"lora_dropout\": 1.5", "field 'lora_dropout' must be in [0, 1)");
    cases.put("\"target_modules\": 5", "field 'target_modules' must be a list of module names");
    cases.put("\"target_modules\": [\"query\", 1]", "field 'target_modules' must be a list of");
    cases.put("\"peft_type\": \"IA3\"", "field 'peft_type' is 'IA3', but only 'LORA'");
    cases.put("\"bias\": \"some\"", "field 'bias' must be one of");
    cases.put("\"use_dora\": \"no\"", "field 'use_dora' must be a boolean");
    cases.put("\"modules_to_save\": \"classifier\"", "field 'modules_to_save' must be a list");
    cases.put("\"rank_pattern\": {\"query\": 0}", "field 'rank_pattern.query' must be positive");
    cases.put("\"layers_to_transform\": [-1]", "field 'layers_to_transform' must not be negative");
    cases.put("\"fedpeft\": [1]", "field 'fedpeft' must be a JSON object");
    cases.put("\"exclude_modules\": 3", "field 'exclude_modules' must be a list of strings");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      String field = c.getKey().substring(1, c.getKey().indexOf('"', 1));
      JsonObject json = PeftAdapterConfig.parse(PEFT_WRITTEN).toJson();
      json.add(field, JsonParser.parseString("{" + c.getKey() + "}").getAsJsonObject().get(field));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> PeftAdapterConfig.fromJson(json), c.getKey());
      assertTrue(e.getMessage().contains(c.getValue()), c.getKey() + " -> " + e.getMessage());
    }
  }

  @Test
  void notJsonOrNotAnObject() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PeftAdapterConfig.parse("{\"r\": 8,"));
    assertTrue(e.getMessage().startsWith("not valid JSON"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PeftAdapterConfig.parse("[1]"));
    assertTrue(e.getMessage().startsWith("not a JSON object"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PeftAdapterConfig.parse("{r: 8}"));
    assertTrue(e.getMessage().startsWith("not valid JSON"), e.getMessage());
  }

  /**
   * A key twice in one object: Python's json (and so PEFT) keeps the last value, which a user who
   * edited the file may not expect; the config is refused, naming the key. (It was read, last one
   * winning.)
   */
  @Test
  void aRepeatedKeyIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PeftAdapterConfig.parse(PEFT_WRITTEN.replace("\"r\": 8,", "\"r\": 8, \"r\": 16,")));
    assertEquals("duplicate key 'r' at line 25 column 12", e.getMessage());
  }

  @Test
  void targetsFollowsPeftMatching() {
    PeftAdapterConfig c =
        PeftAdapterConfig.builder(8, 16, List.of("query", "output.dense")).build();
    assertTrue(c.targets("encoder.layer.0.attention.self.query"));
    assertFalse(c.targets("encoder.layer.0.attention.self.key"));
    assertTrue(c.targets("encoder.layer.0.output.dense"));
    // PEFT's suffix rule: "output.dense" also matches attention.output.dense.
    assertTrue(c.targets("encoder.layer.0.attention.output.dense"));
    assertTrue(c.targets("query"));

    PeftAdapterConfig layers = c.toBuilder().layersToTransform(List.of(1, 3)).build();
    assertFalse(layers.targets("encoder.layer.0.attention.self.query"));
    assertTrue(layers.targets("encoder.layer.3.attention.self.query"));
    // A whole path listed in target_modules is targeted whatever layers_to_transform says.
    PeftAdapterConfig whole =
        layers.toBuilder().targetModules(List.of("encoder.layer.0.attention.self.query")).build();
    assertTrue(whole.targets("encoder.layer.0.attention.self.query"));
    assertFalse(whole.targets("bert.encoder.layer.0.attention.self.query"));
    PeftAdapterConfig single =
        c.toBuilder().set("layers_to_transform", new JsonPrimitive(2)).build();
    assertEquals(List.of(2), single.layersToTransform());
    assertTrue(single.targets("bert.encoder.layer.2.attention.self.query"));
    assertEquals(new JsonPrimitive(2), single.toJson().get("layers_to_transform"));
    PeftAdapterConfig pattern = layers.toBuilder().layersPattern("layer").build();
    assertTrue(pattern.targets("encoder.layer.1.attention.self.query"));
    assertFalse(
        pattern.toBuilder()
            .layersPattern("block")
            .build()
            .targets("encoder.layer.1.attention.self.query"));

    // Modules inside modules_to_save and exclude_modules are never targeted.
    PeftAdapterConfig saved =
        PeftAdapterConfig.builder(8, 16, List.of("dense")).modulesToSave(List.of("pooler")).build();
    assertTrue(saved.targets("encoder.layer.0.output.dense"));
    assertFalse(saved.targets("pooler.dense"));
    PeftAdapterConfig excluded =
        saved.toBuilder()
            .set("exclude_modules", JsonParser.parseString("[\"output.dense\"]"))
            .build();
    assertFalse(excluded.targets("encoder.layer.0.output.dense"));
    assertTrue(excluded.targets("encoder.layer.0.intermediate.dense"));

    PeftAdapterConfig regex =
        c.toBuilder().targetModulesRegex(".*\\.attention\\.self\\.(query|value)").build();
    assertEquals(List.of(), regex.targetModules());
    assertTrue(regex.targets("encoder.layer.0.attention.self.value"));
    assertFalse(regex.targets("encoder.layer.0.attention.self.key"));
    assertEquals(JsonNull.INSTANCE, regex.toJson().get("layers_pattern"));
  }

  @Test
  void rankAlphaAndScalingFollowPatterns() {
    Map<String, Integer> ranks = new LinkedHashMap<>();
    ranks.put("layer.0.attention.self.query", 4);
    ranks.put("value", 2);
    PeftAdapterConfig c =
        PeftAdapterConfig.builder(8, 16, List.of("query", "value"))
            .rankPattern(ranks)
            .alphaPattern(Map.of("value", 1.5))
            .build();
    assertEquals(4, c.rankFor("encoder.layer.0.attention.self.query"));
    assertEquals(8, c.rankFor("encoder.layer.10.attention.self.query"));
    assertEquals(2, c.rankFor("encoder.layer.3.attention.self.value"));
    assertEquals(2.0, c.scaling("encoder.layer.5.attention.self.query"));
    assertEquals(1.5 / 2, c.scaling("encoder.layer.5.attention.self.value"));
    assertEquals(16 / Math.sqrt(8), c.toBuilder().useRslora(true).build().scaling("x.query"));
    assertEquals(new JsonPrimitive(1.5), c.toJson().getAsJsonObject("alpha_pattern").get("value"));
  }

  /** QA, 3 December: LoRA's float32 alpha and dropout are written as 0.3 and 0.05. */
  @Test
  void float32AlphaAndDropoutAreWrittenAsTheirShortestDecimals() {
    String text =
        PeftAdapterConfig.builder(4, 0.3f, List.of("query"))
            .loraDropout(0.05f)
            .build()
            .toJsonString();
    assertTrue(text.contains("\"lora_alpha\": 0.3,"), text);
    assertTrue(text.contains("\"lora_dropout\": 0.05,"), text);
  }
}
