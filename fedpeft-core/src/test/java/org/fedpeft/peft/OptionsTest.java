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
            + " not close (at character 16; a value holding a comma goes in double quotes:"
            + " key=\"a,b\"; a value cannot hold a double quote)",
        open.getMessage());
    IllegalArgumentException split =
        assertThrows(
            IllegalArgumentException.class, () -> Options.parse("factors=/tmp/a,b/f.safetensors"));
    assertEquals(
        "adapter option \"b/f.safetensors\" is not of the form key=value (at character 16)",
        split.getMessage());
  }

  /**
   * Review, 6 December: a double quote that is not around a whole value was kept in it or cut
   * wrongly, without a word: {@code k="a,b" "c"} gave the value {@code a,b" "c} (the outer quotes
   * dropped, the inner ones kept), {@code k="a,b"c} the value {@code "a,b"c} with its comma, {@code
   * k=a"b,c"d} the value {@code a"b,c"d} (a comma in an unquoted value), {@code "k"=v} the key
   * {@code "k"}; an escaped quote ({@code \"}) is no escape. Each is now refused naming the option
   * and the quote's character in the string. Fails on the old code.
   */
  @Test
  void aDoubleQuoteNotAroundAWholeValueIsRefusedNamingWhere() {
    String[][] cases = {
      // spec, the option named, the quote's character (1-based)
      {"k=\"a,b\" \"c\"", "k=\"a,b\" \"c\"", "7"},
      {"rank=2,k=\"a,b\"c", "k=\"a,b\"c", "14"},
      {"k=a\"b,c\"d", "k=a\"b,c\"d", "4"},
      {"k=a\"b\",c=d", "k=a\"b\"", "4"},
      {"\"k\"=v", "\"k\"=v", "1"},
      {"rank=2, \"k=v\"", "\"k=v\"", "9"},
      {"k=\"a\\\"b\\\"\"", "k=\"a\\\"b\\\"\"", "6"},
    };
    for (String[] c : cases) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Options.parse(c[0]), c[0]);
      assertEquals(
          "adapter option \""
              + c[1]
              + "\" has a double quote at character "
              + c[2]
              + " that is not around its whole value (a value holding a comma goes in double"
              + " quotes: key=\"a,b\"; a value cannot hold a double quote)",
          e.getMessage(),
          c[0]);
    }
    // One escaped quote: the last quote opens a value it does not close.
    IllegalArgumentException open =
        assertThrows(IllegalArgumentException.class, () -> Options.parse("k=\"a\\\"b\""));
    assertEquals(
        "adapter option \"k=\"a\\\"b\"\" opens a double quote that it does not close (at"
            + " character 8; a value holding a comma goes in double quotes: key=\"a,b\"; a value"
            + " cannot hold a double quote)",
        open.getMessage());
    // Around the whole value, spaces outside the quotes aside, as before.
    assertEquals(Map.of("k", " a,b ", "j", ""), Options.parse("k = \" a,b \" ,j=\"\""));
  }

  /**
   * Review, 6 December: an empty option (a space after the last comma, two commas) was refused as
   * {@code adapter option "" is not of the form key=value}, which names nothing to look for; the
   * message now says where it is. Fails on the old code.
   */
  @Test
  void anEmptyOptionIsRefusedNamingWhere() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Options.parse("rank=8, "));
    assertEquals(
        "adapter option \"\" is not of the form key=value (at character 8)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Options.parse("rank=8,,alpha=16"));
    assertEquals(
        "adapter option \"\" is not of the form key=value (at character 8)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Options.parse("rank=8,=16"));
    assertEquals(
        "adapter option \"=16\" is not of the form key=value (at character 8)", e.getMessage());
  }
}
