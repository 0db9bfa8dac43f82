package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PeftNamesTest {

  @Test
  void keysForEveryBertModule() {
    assertEquals(
        "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight",
        PeftNames.loraKey(0, "query", "lora_A"));
    assertEquals(
        "base_model.model.encoder.layer.5.attention.self.key.lora_B.weight",
        PeftNames.loraKey(5, "key", "lora_B"));
    assertEquals(
        "base_model.model.encoder.layer.1.attention.self.value.lora_A.weight",
        PeftNames.loraKey(1, "value", PeftNames.LORA_A));
    assertEquals(
        "base_model.model.encoder.layer.2.attention.output.dense.lora_B.weight",
        PeftNames.loraKey(2, "attention.output.dense", "lora_B"));
    assertEquals(
        "base_model.model.encoder.layer.11.intermediate.dense.lora_A.weight",
        PeftNames.loraKey(11, "intermediate.dense", "lora_A"));
    assertEquals(
        "base_model.model.encoder.layer.3.output.dense.lora_A.weight",
        PeftNames.loraKey(3, "output.dense", "lora_A"));
    assertEquals(
        "base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight",
        PeftNames.loraKey("bert", 0, "query", "lora_A"));
    assertEquals(
        PeftNames.loraKey(0, "query", "lora_A"),
        PeftNames.loraKey(0, "attention.self.query", "lora_A"));
  }

  @Test
  void parseInvertsLoraKey() {
    for (String prefix : List.of("", "bert.")) {
      for (String module : PeftNames.BERT_MODULE_KEYS) {
        for (String part : List.of(PeftNames.LORA_A, PeftNames.LORA_B)) {
          for (int layer : new int[] {0, 7, 23}) {
            String key = PeftNames.loraKey(prefix, layer, module, part);
            PeftNames.LoraKey parsed = PeftNames.parseLoraKey(key);
            assertEquals(new PeftNames.LoraKey(prefix, layer, module, part), parsed, key);
            assertEquals(key, parsed.key());
            assertTrue(PeftNames.isLoraKey(key));
          }
        }
      }
    }
    assertEquals(
        "encoder.layer.4.attention.output.dense",
        PeftNames.parseLoraKey(PeftNames.loraKey(4, "attention.output.dense", "lora_A"))
            .modulePath());
    assertEquals(
        "bert.encoder.layer.0.output.dense",
        PeftNames.parseLoraKey(PeftNames.loraKey("bert.", 0, "output.dense", "lora_B"))
            .modulePath());
  }

  @Test
  void outputDenseAndAttentionOutputDenseAreDistinct() {
    assertEquals(
        "output.dense",
        PeftNames.parseLoraKey("base_model.model.encoder.layer.0.output.dense.lora_A.weight")
            .module());
    assertEquals(
        "attention.output.dense",
        PeftNames.parseLoraKey(
                "base_model.model.encoder.layer.0.attention.output.dense.lora_A.weight")
            .module());
  }

  @Test
  void rejectsUnknownModule() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PeftNames.parseLoraKey(
                    "base_model.model.encoder.layer.0.attention.self.qkv.lora_A.weight"));
    assertTrue(
        e.getMessage().contains("unknown BERT module path 'attention.self.qkv'"), e.getMessage());
    assertTrue(e.getMessage().contains("attention.self.query"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> PeftNames.loraKey(0, "attention.self.qkv", "lora_A"));
  }

  @Test
  void rejectsKeysWithTheAdapterNameStillIn() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PeftNames.parseLoraKey(
                    "base_model.model.encoder.layer.0.attention.self.query.lora_A.default.weight"));
    assertTrue(e.getMessage().contains("still contains the adapter name 'default'"));
  }

  @Test
  void rejectsOtherShapes() {
    for (String key :
        List.of(
            "encoder.layer.0.attention.self.query.lora_A.weight",
            "base_model.model.encoder.layer.x.attention.self.query.lora_A.weight",
            "base_model.model.encoder.layer.0.attention.self.query.lora_C.weight",
            "base_model.model.encoder.layer.0.attention.self.query.lora_A.bias",
            "base_model.model.classifier.weight",
            "")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> PeftNames.parseLoraKey(key), key);
      assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
      assertFalse(PeftNames.isLoraKey(key));
    }
    assertThrows(IllegalArgumentException.class, () -> PeftNames.loraKey(-1, "query", "lora_A"));
    assertThrows(IllegalArgumentException.class, () -> PeftNames.loraKey(0, "query", "lora_C"));
    assertThrows(
        IllegalArgumentException.class,
        () -> PeftNames.loraKey("bad prefix", 0, "query", "lora_A"));
  }

  @Test
  void savedModuleKeys() {
    assertEquals(
        "base_model.model.classifier.weight", PeftNames.savedModuleKey("classifier.weight"));
    assertEquals("classifier.bias", PeftNames.stripPrefix("base_model.model.classifier.bias"));
    assertThrows(IllegalArgumentException.class, () -> PeftNames.stripPrefix("classifier.weight"));
    assertThrows(IllegalArgumentException.class, () -> PeftNames.savedModuleKey(""));
    assertEquals("attention.self.query", PeftNames.modulePath("query"));
    assertEquals("query", PeftNames.moduleKey("attention.self.query"));
    assertEquals("output.dense", PeftNames.moduleKey("output.dense"));
  }
}
