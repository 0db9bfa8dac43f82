package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.fedpeft.io.Words;
import org.junit.jupiter.api.Test;

/**
 * QA, 3 December: core's messages put a plural noun after a count of 1 ("1 of 1 test examples ...
 * have", "1 clients"). Their nouns now come from {@link Words#plural}, as the CLI's do.
 */
class CountWordingTest {

  @Test
  void pluralAddsAnSForEveryCountButOne() {
    assertEquals("example", Words.plural(1, "example"));
    assertEquals("examples", Words.plural(0, "example"));
    assertEquals("examples", Words.plural(2, "example"));
  }

  @Test
  void oneDuplicateTestTextOfOneIsSingular() {
    List<String> labels = List.of("x", "y");
    Dataset train = Dataset.of("train", List.of(new Example("a", "x", null, null)), labels);
    Dataset test = Dataset.of("test", List.of(new Example("a", "y", null, null)), labels);
    TaskSplits splits = new TaskSplits("t", train, Dataset.of("v", List.of(), labels), test, null);
    assertEquals(
        "warning: 1 of 1 test example of f.jsonl has the text of a training example, so test"
            + " accuracy counts it as seen (remove the duplicates for an unbiased figure)",
        splits.duplicateTextWarning("f.jsonl"));
  }

  @Test
  void tooFewExamplesForOneClientIsSingular() {
    assertEquals(
        "iid: 1 example cannot give 1 client 2 examples each",
        assertThrows(
                IllegalArgumentException.class, () -> Partitioners.requireClients(1, 1, 2, "iid"))
            .getMessage());
  }
}
