package org.fedpeft.peft.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.fedpeft.peft.AdapterRegistry;
import org.junit.jupiter.api.Test;

/** LoRA's options as its schema declares and reads them. */
class LoraOptionsTest {

  @Test
  void theSchemaDeclaresEveryOptionWithTheDefaultsLoraHadBefore() {
    assertEquals(
        List.of("rank", "alpha", "dropout", "targets", "train_a"),
        List.copyOf(LoraConfig.OPTIONS.keys().keySet()));
    assertEquals(
        new LoraConfig(8, 16f, 0.05f, List.of("query", "value"), true), LoraConfig.DEFAULT);
    assertEquals(LoraConfig.OPTIONS, AdapterRegistry.get("lora").optionSchema());
  }

  @Test
  void optionsAreReadThroughTheSchemaAndRoundTrip() {
    LoraConfig c =
        LoraConfig.fromOptions(
            Map.of(
                "rank", " 4", "alpha", "8", "targets", "query+ffn.in;value", "train_a", "FALSE"));
    assertEquals(new LoraConfig(4, 8f, 0.05f, List.of("query", "ffn.in", "value"), false), c);
    assertEquals(c, LoraConfig.fromOptions(c.toOptions()));
  }

  /**
   * QA, 5 December: the config's own checks said "lora: ..." whatever method built it (fedlora,
   * fedsa-lora, feddpa). Options never reach them (each method checks its options against the
   * schema first, in its own name: badOptionsNameTheOptionAndTheValue here, and
   * ValidateRefusesWhatCreateRefusesTest over every method), so they are argument checks naming the
   * field and no method. Fails on the old code.
   */
  @Test
  void theConfigsOwnChecksNameTheFieldAndNoMethod() {
    List<String> query = List.of("query");
    assertEquals(
        "LoraConfig: rank must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 16f, 0f, query, true))
            .getMessage());
    assertEquals(
        "LoraConfig: alpha must be positive and finite, got Infinity",
        assertThrows(
                IllegalArgumentException.class,
                () -> new LoraConfig(8, Float.POSITIVE_INFINITY, 0f, query, true))
            .getMessage());
    assertEquals(
        "LoraConfig: dropout must be in [0, 1), got 1.0",
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(8, 16f, 1f, query, true))
            .getMessage());
    assertEquals(
        "LoraConfig: targetModules must name at least one module",
        assertThrows(
                IllegalArgumentException.class, () -> new LoraConfig(8, 16f, 0f, List.of(), true))
            .getMessage());
  }

  @Test
  void badOptionsNameTheOptionAndTheValue() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> LoraConfig.fromOptions(Map.of("ranks", "4")));
    assertEquals("lora: unknown option 'ranks' (did you mean 'rank'?)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> LoraConfig.fromOptions(Map.of("colour", "red")));
    assertEquals(
        "lora: unknown option 'colour' (options: rank, alpha, dropout, targets, train_a)",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> LoraConfig.fromOptions(Map.of("rank", "0")));
    assertEquals("lora: option 'rank' = 0 is invalid: >= 1", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> LoraConfig.fromOptions(Map.of("rank", "8.5")));
    assertEquals("lora: option 'rank' must be an integer, got '8.5'", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> LoraConfig.fromOptions(Map.of("targets", "+")));
    assertEquals(
        "lora: option 'targets' = + is invalid: the list is empty; give at least one module name,"
            + " alias or pattern",
        e.getMessage());
  }

  /** QA, 3 December: "rank=4,rank=8" kept rank 8 silently. */
  @Test
  void aKeyGivenTwiceIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> org.fedpeft.peft.Options.parse("rank=4,alpha=8,rank=8"));
    assertEquals(
        "adapter option \"rank\" is given twice (rank=4 and rank=8); give it once", e.getMessage());
  }
}
