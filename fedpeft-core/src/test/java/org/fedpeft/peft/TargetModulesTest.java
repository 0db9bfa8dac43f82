package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.fedpeft.model.BertConfig;
import org.junit.jupiter.api.Test;

class TargetModulesTest {

  private static final BertConfig TWO_BLOCKS = new BertConfig(50, 16, 2, 2, 24, 16, 2, 1e-12f);

  @Test
  void patternsSelectAsHuggingFacePeftDoes() {
    assertEquals(
        List.of("encoder.layer.0.attention.self.query", "encoder.layer.1.attention.self.query"),
        TargetModules.select(TWO_BLOCKS, List.of("query")).stream()
            .map(TargetModules.Slot::name)
            .toList());
    // output.dense is a suffix of both output projections; ffn.out is the block's last one only
    assertEquals(4, TargetModules.select(TWO_BLOCKS, List.of("output.dense")).size());
    assertEquals(
        List.of("encoder.layer.0.output.dense", "encoder.layer.1.output.dense"),
        TargetModules.select(TWO_BLOCKS, List.of("ffn.out")).stream()
            .map(TargetModules.Slot::name)
            .toList());
    assertEquals(12, TargetModules.select(TWO_BLOCKS, List.of("all-linear")).size());
  }

  @Test
  void aPatternThatMatchesNothingIsRefusedBeforeAndAfterTheModelIsKnown() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TargetModules.requireKnown(List.of("value", "querry")));
    assertTrue(
        e.getMessage().startsWith("target \"querry\" matches no linear module (did you mean"),
        e.getMessage());
    assertTrue(e.getMessage().contains("\"query\""), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TargetModules.requireKnown(List.of()));
    assertThrows(IllegalArgumentException.class, () -> TargetModules.requireKnown(List.of("(")));

    // a name of a deeper model passes without a model, and is refused by the model's depth
    String third = "encoder.layer.2.attention.self.value";
    assertTrue(TargetModules.requireKnown(List.of(third)));
    e =
        assertThrows(
            IllegalArgumentException.class, () -> TargetModules.select(TWO_BLOCKS, List.of(third)));
    assertTrue(
        e.getMessage()
            .startsWith("target \"" + third + "\" matches no linear module of this 2-block model"),
        e.getMessage());
  }
}
