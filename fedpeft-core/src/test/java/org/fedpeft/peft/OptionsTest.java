package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Leftovers: {@code --adapter-options} ({@link Options#parse}) split at every ',', so a value
 * holding one (an absolute factors path {@code /tmp/a,b/f.safetensors}) could not be given. A value
 * in double quotes keeps its commas, the quotes dropped; every unquoted form reads as before. Fails
 * on the old code.
 */
class OptionsTest {

  @Test
  void aValueInDoubleQuotesKeepsItsCommas() {
    assertEquals(
        Map.of("heads", "1", "factors", "/tmp/a,b/f.safetensors", "rank", "2"),
        Options.parse("heads=1,factors=\"/tmp/a,b/f.safetensors\",rank=2"));
    assertEquals(
        Map.of("factors", "/tmp/a,b=c/f.safetensors"),
        Options.parse(" factors = \"/tmp/a,b=c/f.safetensors\" "));
    assertEquals(Map.of("targets", "query+value"), Options.parse("targets=\"query+value\""));
    assertEquals(Map.of("factors", ""), Options.parse("factors=\"\""));
  }

  @Test
  void theUnquotedFormsReadAsBefore() {
    Map<String, String> m = Options.parse("rank=8, alpha=16,dropout=0.05,targets=query+value");
    assertEquals(List.of("rank", "alpha", "dropout", "targets"), List.copyOf(m.keySet()));
    assertEquals(List.of("8", "16", "0.05", "query+value"), List.copyOf(m.values()));
    assertEquals(Map.of(), Options.parse(""));
    assertEquals(Map.of(), Options.parse(null));
    assertEquals(Map.of("rank", "8"), Options.parse("rank=8,,"));
    assertEquals(Map.of(), Options.parse(",,"));
    assertEquals(Map.of("targets", ".*attention.*"), Options.parse("targets=.*attention.*"));
  }

  @Test
  void anUnclosedQuoteAndAnUnquotedCommaAreRefused() {
    IllegalArgumentException open =
        assertThrows(
            IllegalArgumentException.class,
            () -> Options.parse("rank=2,factors=\"/tmp/a,b/f.safetensors"));
    assertEquals(
        "adapter option \"factors=\"/tmp/a,b/f.safetensors\" opens a double quote that it does"
            + " not close (a value holding a comma goes in double quotes: key=\"a,b\")",
        open.getMessage());
    IllegalArgumentException split =
        assertThrows(
            IllegalArgumentException.class, () -> Options.parse("factors=/tmp/a,b/f.safetensors"));
    assertEquals(
        "adapter option \"b/f.safetensors\" is not of the form key=value", split.getMessage());
  }
}
