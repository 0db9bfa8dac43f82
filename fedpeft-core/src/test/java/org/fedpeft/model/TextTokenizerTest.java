package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
