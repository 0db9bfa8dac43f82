package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatasetTest {

  static Dataset synthetic(int[] perClass) {
    List<Example> examples = new ArrayList<>();
    for (int c = 0; c < perClass.length; c++) {
      for (int i = 0; i < perClass[c]; i++) {
        examples.add(Example.of("text " + c + " " + i, "c" + (char) ('a' + c)));
      }
    }
    return Dataset.of("synthetic", examples);
  }

  @Test
  void vocabularyIsSortedAndIndexed() {
    Dataset d =
        Dataset.of(
            "d",
            List.of(Example.of("x", "pear"), Example.of("y", "apple"), Example.of("z", "pear")));
    assertEquals(List.of("apple", "pear"), d.labels());
    assertEquals(1, d.labelIndex(0));
    assertEquals(0, d.labelIndex(1));
    assertArrayEquals(new int[] {1, 2}, d.labelHistogram());
    assertEquals(Map.of("apple", 1, "pear", 2), LabelCounts.of(d));
    assertEquals(-1, d.labels().indexOf("plum"));
    assertEquals("d#2", d.location(2));
  }

  /** QA, 2 December: duplicate texts across a user's train and test files went unnoticed. */
  @Test
  void testTextsThatAreTrainingTextsOfTheSameTaskAreCounted() {
    List<String> labels = List.of("x", "y");
    Dataset train =
        Dataset.of(
            "train",
            List.of(
                new Example("a", "x", null, "t1"),
                new Example("b", "y", null, "t1"),
                new Example("c", "x", null, "t2")),
            labels);
    Dataset test =
        Dataset.of(
            "test",
            List.of(
                new Example("a", "y", null, "t1"), // same task and text, another label: counted
                new Example("c", "x", null, "t1"), // the text trains task t2 only
                new Example("d", "y", null, "t2")),
            labels);
    TaskSplits splits =
        new TaskSplits("t1+t2", train, Dataset.of("v", List.of(), labels), test, null);
    assertEquals(1, splits.testTextsAlsoInTrain());
    assertEquals(
        "warning: 1 of 3 test examples of f.jsonl has the text of a training example, so test"
            + " accuracy counts it as seen (remove the duplicates for an unbiased figure)",
        splits.duplicateTextWarning("f.jsonl"));
    assertEquals(
        null,
        new TaskSplits(
                "t",
                train,
                Dataset.of("v", List.of(), labels),
                train.subset("empty", new int[0]),
                null)
            .duplicateTextWarning("f.jsonl"));
  }

  @Test
  void integerLabelsSortNumerically() {
    Dataset d =
        Dataset.of(
            "d", List.of(Example.of("a", "10"), Example.of("b", "2"), Example.of("c", "-1")));
    assertEquals(List.of("-1", "2", "10"), d.labels());
  }

  @Test
  void fixedVocabularyRejectsUnknownLabels() {
    Dataset d = Dataset.of("d", List.of(Example.of("a", "x")), List.of("x", "y"));
    assertArrayEquals(new int[] {1, 0}, d.labelHistogram());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Dataset.of("d", List.of(Example.of("a", "z")), List.of("x", "y")));
    assertTrue(e.getMessage().contains("d#0"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Dataset.of("d", List.of(Example.of("a", "x")), List.of("x", "x")));
  }

  @Test
  void subsetKeepsVocabularyAndHashTracksContent() {
    Dataset d = synthetic(new int[] {3, 2});
    Dataset s = d.subset("s", new int[] {4, 0});
    assertEquals(d.labels(), s.labels());
    assertEquals("cb", s.example(0).label());
    assertEquals(1, s.labelIndex(0));
    assertEquals(d.sha256(), synthetic(new int[] {3, 2}).sha256());
    assertNotEquals(d.sha256(), s.sha256());
    assertEquals(64, d.sha256().length());
  }

  @Test
  void concatUnitesVocabularies() {
    Dataset a = Dataset.of("a", List.of(new Example("x", "n1", null, "A")), List.of("n1", "n2"));
    Dataset b = Dataset.of("b", List.of(new Example("y", "m1", null, "B")));
    Dataset c = Dataset.concat("ab", List.of(a, b));
    assertEquals(List.of("m1", "n1", "n2"), c.labels());
    assertEquals(2, c.size());
    assertEquals(List.of("A", "B"), c.tasks());
    assertEquals(1, c.labelIndex(0));
  }

  @Test
  void stratifiedSplitIsDisjointCoveringAndProportional() {
    Dataset d = synthetic(new int[] {500, 200, 50, 3, 1});
    TaskSplits s = Splits.stratified("t", d, TaskOptions.defaults(), 9);
    assertEquals(d.size(), s.train().size() + s.validation().size() + s.test().size());
    Set<String> seen = new HashSet<>();
    for (Dataset part : List.of(s.train(), s.validation(), s.test())) {
      for (Example e : part.examples()) {
        assertTrue(seen.add(e.text()), "twice: " + e.text());
      }
    }
    assertArrayEquals(new int[] {50, 20, 5, 1, 0}, s.test().labelHistogram());
    assertArrayEquals(new int[] {50, 20, 5, 1, 0}, s.validation().labelHistogram());
    assertArrayEquals(new int[] {400, 160, 40, 1, 1}, s.train().labelHistogram());
    TaskSplits again = Splits.stratified("t", d, TaskOptions.defaults(), 9);
    assertEquals(s.train().examples(), again.train().examples());
    assertEquals(s.test().examples(), again.test().examples());
    TaskSplits other = Splits.stratified("t", d, TaskOptions.defaults(), 10);
    assertNotEquals(s.test().examples(), other.test().examples());
  }

  @Test
  void capIsStratifiedAndKeepsEveryClass() {
    Dataset d = synthetic(new int[] {900, 90, 9, 1});
    Dataset c = Splits.capStratified(d, 100, 1);
    assertEquals(100, c.size());
    int[] h = c.labelHistogram();
    assertTrue(h[0] >= 88 && h[0] <= 91, java.util.Arrays.toString(h));
    assertTrue(h[1] >= 8 && h[1] <= 10, java.util.Arrays.toString(h));
    assertTrue(h[2] >= 1 && h[3] == 1, java.util.Arrays.toString(h));
    assertEquals(c.examples(), Splits.capStratified(d, 100, 1).examples());
    assertTrue(d.examples().containsAll(c.examples()));
    assertEquals(d, Splits.capStratified(d, 5000, 1));
  }

  @Test
  void allocationIsExact() {
    assertArrayEquals(new int[] {5, 3, 2}, Splits.allocate(new int[] {50, 30, 20}, 10));
    assertArrayEquals(new int[] {2, 1, 1}, Splits.allocate(new int[] {98, 1, 1}, 4));
    assertArrayEquals(new int[] {0, 0}, Splits.allocate(new int[] {0, 0}, 4));
  }

  @Test
  void dedupeDropsConflictsAndRepeats() {
    List<Example> out =
        Splits.dedupeByText(
            List.of(
                Example.of("a", "x"),
                Example.of("a", "x"),
                Example.of("b", "x"),
                Example.of("b", "y"),
                Example.of("c", "y")));
    assertEquals(List.of(Example.of("a", "x"), Example.of("c", "y")), out);
  }

  @Test
  void optionsValidateNamingTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> TaskOptions.defaults().withFractions(0.9, 0.2));
    assertTrue(e.getMessage().contains("trainFraction + validationFraction"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TaskOptions.defaults().withMaxTest(-1));
    assertTrue(e.getMessage().contains("maxTest"), e.getMessage());
    assertEquals(0.1, TaskOptions.defaults().testFraction(), 1e-12);
  }
}
