package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextTokenizerTest {

  @Test
  void truncationNoteCountsTheTextsCutAndAgreesInNumber() throws Exception {
    try (TextTokenizer t = PretrainedModel.bundledMiniLm().newTokenizer()) {
      String longText = "word ".repeat(t.maxLength() * 2);
      assertNull(t.truncationNote("of the data"));
      t.encode("a short text");
      assertNull(t.truncationNote("of the data"));
      t.encode(longText);
      int max = t.maxLength();
      assertEquals(
          "note: 1 text of the data is longer than the model's "
              + max
              + " tokens; it reads the first "
              + max
              + " of each",
          t.truncationNote("of the data"));
      t.encode(longText);
      assertEquals(
          "note: 2 texts of the data are longer than the model's "
              + max
              + " tokens; it reads the first "
              + max
              + " of each",
          t.truncationNote("of the data"));
    }
  }

  /** Words of many scripts: ASCII, accents, combining marks, CJK, punctuation, emoji, long runs. */
  private static final String[] PIECES = {
    "word",
    "tokenization",
    "café",
    "naïve",
    "Ünïcödé",
    "e\u0301",
    "\u0301",
    "東京",
    "日本語の文章",
    "한국어",
    "x,y",
    "(a)",
    "--",
    "🙂",
    "ΣΑΣ",
    "straße",
    "ﬁ",
    "a".repeat(150),
    "\t",
    "\n",
    "[SEP]",
    "don't",
    "3.14",
    "\u00a0",
    "\u0000"
  };

  private static String randomText(Random r, int chars) {
    StringBuilder b = new StringBuilder();
    while (b.length() < chars) {
      b.append(PIECES[r.nextInt(PIECES.length)]);
      b.append(r.nextInt(6) == 0 ? "" : " ".repeat(1 + r.nextInt(2)));
    }
    return b.substring(0, chars);
  }

  @Test
  void longTextsGiveTheIdsOfTheirWholeEncoding() throws Exception {
    try (TextTokenizer t = PretrainedModel.bundledMiniLm().newTokenizer()) {
      int first = TextTokenizer.PREFIX_CHARS_PER_TOKEN * t.maxLength();
      List<String> texts = new ArrayList<>();
      Random r = new Random(20261204);
      for (int i = 0; i < 60; i++) {
        texts.add(randomText(r, first - 30 + r.nextInt(8 * first)));
      }
      for (int shift = 0; shift < 12; shift++) {
        // a word cut at the first prefix's end, and one that straddles it
        texts.add("x".repeat(shift) + "tokenization ".repeat(2 * first / 13));
        texts.add("a".repeat(first - 5 + shift) + " b c");
      }
      texts.add("東京".repeat(100_000)); // no space at all
      texts.add("ab ".repeat(70_000)); // 210,000 characters
      texts.add(" ".repeat(3 * first) + "end"); // only spaces before the cut: fewer tokens than max
      texts.add("word ".repeat(t.maxLength() - 3) + "x".repeat(4 * first)); // fits until the end
      for (String text : texts) {
        Encoding whole = t.encodeWhole(text);
        assertArrayEquals(whole.getIds(), t.encode(text), text.length() + " chars");
        long before = t.truncatedCount();
        t.encode(text);
        assertTrue(
            t.truncatedCount() - before == (whole.exceedMaxLength() ? 1 : 0),
            text.length() + " chars");
      }
    }
  }

  /**
   * An added token with a space inside (a tokenizer.json's {@code added_tokens}, matched in the raw
   * text before the BERT pre-tokenizer) is one token in the whole text; a prefix cut at its space
   * would end with the WordPieces of its first half instead.
   */
  @Test
  void anAddedTokenWithASpaceKeepsTheIdsOfTheWholeEncoding() throws Exception {
    PretrainedModel bundled = PretrainedModel.bundledMiniLm();
    JsonObject json =
        JsonParser.parseString(new String(bundled.tokenizerJson(), StandardCharsets.UTF_8))
            .getAsJsonObject();
    JsonObject added = new JsonObject();
    added.addProperty("id", 30522);
    added.addProperty("content", "zqzqzqzqzqzq qq");
    added.addProperty("single_word", false);
    added.addProperty("lstrip", false);
    added.addProperty("rstrip", false);
    added.addProperty("normalized", false);
    added.addProperty("special", false);
    json.getAsJsonArray("added_tokens").add(added);
    int max = bundled.maxSeqLength();
    try (TextTokenizer t =
        new TextTokenizer(json.toString().getBytes(StandardCharsets.UTF_8), max, "test")) {
      int first = TextTokenizer.PREFIX_CHARS_PER_TOKEN * max;
      // max - 5 one-token words padded with spaces, then the added token, whose space is the last
      // one before the first prefix's end, and its first half's WordPieces would be kept.
      String text =
          ("x" + " ".repeat(6)).repeat(max - 5) + "zqzqzqzqzqzq qq" + "q".repeat(first) + " x";
      assertArrayEquals(t.encodeWhole(text).getIds(), t.encode(text));
    }
  }

  /**
   * QA, 5 December: TextTokenizer read the bytes it is given with Gson's lenient parser (for its
   * word splitting) and the tokenizers library, which keeps the last of a word written twice in the
   * vocabulary; they are read as strictly as a JSON file ({@code io.JsonFiles}) and refused naming
   * where they came from. Fails on the old code, which built the tokenizer.
   */
  @Test
  void tokenizerJsonWithARepeatedKeyIsRefusedNamingItsSource() throws Exception {
    String json =
        new String(PretrainedModel.bundledMiniLm().tokenizerJson(), StandardCharsets.UTF_8);
    int pad = json.indexOf("\"[PAD]\": 0,", json.indexOf("\"vocab\": {"));
    byte[] repeated =
        (json.substring(0, pad) + "\"[PAD]\": 0, " + json.substring(pad))
            .getBytes(StandardCharsets.UTF_8);
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> new TextTokenizer(repeated, 16, "test"));
    assertTrue(
        e.getMessage().startsWith("test: duplicate key '[PAD]' in model.vocab at line "),
        e.getMessage());
  }
}
