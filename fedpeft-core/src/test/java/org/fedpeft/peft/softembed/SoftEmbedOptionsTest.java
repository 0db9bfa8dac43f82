package org.fedpeft.peft.softembed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SoftEmbedOptionsTest {

  @Test
  void defaultsAndRoundTrip() {
    SoftEmbedConfig d = SoftEmbedConfig.fromOptions(Map.of());
    assertEquals(new SoftEmbedConfig("linear", 16, "tokens"), d);
    SoftEmbedConfig c =
        SoftEmbedConfig.fromOptions(Map.of("form", "mlp", "rank", "5", "placement", "embeddings"));
    assertEquals(c, SoftEmbedConfig.fromOptions(c.toOptions()));
  }

  @Test
  void badOptionsNameTheKey() {
    Exception form =
        assertThrows(
            IllegalArgumentException.class,
            () -> SoftEmbedConfig.fromOptions(Map.of("form", "conv")));
    assertTrue(form.getMessage().contains("form"), form.getMessage());
    Exception rank =
        assertThrows(
            IllegalArgumentException.class, () -> SoftEmbedConfig.fromOptions(Map.of("rank", "0")));
    assertTrue(rank.getMessage().contains("rank"), rank.getMessage());
    Exception typo =
        assertThrows(
            IllegalArgumentException.class,
            () -> SoftEmbedConfig.fromOptions(Map.of("placment", "tokens")));
    assertTrue(typo.getMessage().contains("placement"), "did you mean: " + typo.getMessage());
  }
}
