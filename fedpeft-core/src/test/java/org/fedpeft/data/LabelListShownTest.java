package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docs journey, 5 December: docs/config.md shows {@code --set 'data.labels=["a, b", "c"]'}, whose
 * labels are "a, b" and "c"; a refused example then read {@code label "a" is not one of the run's
 * labels [a, b, c]}, as if "a" were listed. A label list with a label that holds a comma, a bracket
 * or a quote is now printed as JSON strings ({@link LabelCheck#show}); other lists as before.
 */
class LabelListShownTest {

  @TempDir Path tmp;

  @Test
  void aLabelWithACommaIsQuotedInTheRefusal() throws Exception {
    Path file =
        Files.write(
            tmp.resolve("data.jsonl"),
            List.of("{\"text\": \"x\", \"label\": \"c\"}", "{\"text\": \"y\", \"label\": \"a\"}"));
    Dataset data = DataFiles.read(file);
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> LabelCheck.listed(data, List.of("a, b", "c")));
    assertTrue(
        e.getMessage().contains("label \"a\" is not one of the run's labels [\"a, b\", \"c\"]"),
        e.getMessage());
  }

  @Test
  void plainLabelsAreShownAsBefore() {
    assertEquals("[a, b, c]", LabelCheck.show(List.of("a", "b", "c")));
    assertEquals("[noun.act, t 0]", LabelCheck.show(List.of("noun.act", "t 0")));
    assertEquals("[\"x]\", \"y\"]", LabelCheck.show(List.of("x]", "y")));
    assertEquals("[\"say \\\"hi\\\"\", \"z\"]", LabelCheck.show(List.of("say \"hi\"", "z")));
  }
}
