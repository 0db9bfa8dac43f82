package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TasksTest {

  private static Map<String, Integer> totals(TaskSplits s) {
    Map<String, Integer> total = new LinkedHashMap<>();
    for (Dataset d : List.of(s.train(), s.validation(), s.test())) {
      LabelCounts.of(d).forEach((k, v) -> total.merge(k, v, Integer::sum));
    }
    return total;
  }

  private static Set<String> texts(Dataset d) {
    Set<String> t = new HashSet<>();
    for (Example e : d.examples()) {
      t.add(e.text());
    }
    return t;
  }

  private static void assertDisjoint(TaskSplits s) {
    Set<String> train = texts(s.train());
    for (Example e : s.test().examples()) {
      assertFalse(train.contains(e.text()), "test text in train: " + e.text());
    }
    for (Example e : s.validation().examples()) {
      assertFalse(train.contains(e.text()), "validation text in train: " + e.text());
    }
  }

  @Test
  void registryListsTasksAndRejectsUnknownNames() {
    assertEquals(
        List.of(
            "wordnet-adjective-type",
            "wordnet-domain-topic",
            "wordnet-noun-topic",
            "wordnet-pos",
            "wordnet-sense-retrieval",
            "wordnet-verb-frame",
            "wordnet-verb-topic"),
        Tasks.names());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Tasks.load("wordnet-nouns", 1));
    assertTrue(e.getMessage().contains("unknown task \"wordnet-nouns\""), e.getMessage());
    assertTrue(e.getMessage().contains("wordnet-noun-topic, wordnet-pos"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tasks.load("wordnet-pos+", 1));
    assertTrue(e.getMessage().contains("bad task spec"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Tasks.load("wordnet-pos:colour=blue", 1));
    assertTrue(e.getMessage().contains("known parameters: balanced"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Tasks.load("wordnet-pos:oops", 1));
    assertTrue(e.getMessage().contains("bad task spec"), e.getMessage());
  }

  @Test
  void nounTopicMatchesTheSpecFigures() {
    TaskSplits s = Tasks.load(Tasks.NOUN_TOPIC, 1);
    Map<String, Integer> total = totals(s);
    System.out.println("wordnet-noun-topic classes: " + total);
    assertEquals(25, s.labels().size());
    assertFalse(s.labels().contains("noun.Tops"));
    int all = total.values().stream().mapToInt(Integer::intValue).sum();
    assertTrue(all > 80_000 && all < 82_200, "total " + all);
    assertTrue(total.get("noun.artifact") > 11_000 && total.get("noun.artifact") < 12_000);
    assertTrue(total.get("noun.person") > 10_500);
    assertEquals(42, total.get("noun.motive"));
    assertTrue(total.get("noun.shape") > 300 && total.get("noun.shape") < 400);
    // 80/10/10 stratified.
    assertEquals(0.8, s.train().size() / (double) all, 0.01);
    assertEquals(0.1, s.test().size() / (double) all, 0.01);
    assertDisjoint(s);
    assertEquals(Tasks.NOUN_TOPIC, s.train().example(0).task());
  }

  @Test
  void nounTopicOptions() {
    TaskSplits s = Tasks.load("wordnet-noun-topic:minClassSize=100", 1);
    assertEquals(24, s.labels().size());
    assertFalse(s.labels().contains("noun.motive"));
    TaskSplits tops = Tasks.load("wordnet-noun-topic:includeTops=true", 1);
    assertEquals(26, tops.labels().size());
  }

  @Test
  void verbTopicHas15Classes() {
    TaskSplits s = Tasks.load(Tasks.VERB_TOPIC, 1);
    Map<String, Integer> total = totals(s);
    System.out.println("wordnet-verb-topic classes: " + total);
    assertEquals(15, s.labels().size());
    int all = total.values().stream().mapToInt(Integer::intValue).sum();
    assertTrue(all > 13_000 && all <= 13_789, "total " + all);
    assertTrue(total.get("verb.weather") > 50);
    assertDisjoint(s);
  }

  @Test
  void posIsBalancedByDefault() {
    TaskSplits s = Tasks.load(Tasks.POS, 1);
    Map<String, Integer> total = totals(s);
    System.out.println("wordnet-pos classes (balanced): " + total);
    assertEquals(List.of("adj", "adv", "noun", "verb"), s.labels());
    assertEquals(1, new HashSet<>(total.values()).size(), total.toString());
    assertDisjoint(s);
    TaskSplits all = Tasks.load("wordnet-pos:balanced=false", 1);
    Map<String, Integer> unbalanced = totals(all);
    System.out.println("wordnet-pos classes (balanced=false): " + unbalanced);
    assertTrue(unbalanced.get("noun") > 80_000);
  }

  @Test
  void splitsAreDeterministicAndSeedDependent() {
    TaskOptions small = TaskOptions.defaults().withMaxTrain(2000).withMaxTest(500);
    TaskSplits a = Tasks.load(Tasks.VERB_TOPIC, 123, small);
    TaskSplits b = Tasks.load(Tasks.VERB_TOPIC, 123, small);
    TaskSplits c = Tasks.load(Tasks.VERB_TOPIC, 124, small);
    assertEquals(a.train().examples(), b.train().examples());
    assertEquals(a.validation().examples(), b.validation().examples());
    assertEquals(a.test().examples(), b.test().examples());
    assertEquals(a.train().sha256(), b.train().sha256());
    assertNotEquals(a.test().examples(), c.test().examples());
    assertEquals(2000, a.train().size());
    assertEquals(500, a.test().size());
    assertEquals(1361, a.validation().size());
    assertDisjoint(a);
  }

  @Test
  void capsAreStratified() {
    TaskSplits full = Tasks.load(Tasks.NOUN_TOPIC, 5);
    TaskSplits capped =
        Tasks.load(
            Tasks.NOUN_TOPIC, 5, TaskOptions.defaults().withMaxTrain(5000).withMaxTest(1000));
    assertEquals(5000, capped.train().size());
    assertEquals(1000, capped.test().size());
    int[] f = full.train().labelHistogram();
    int[] c = capped.train().labelHistogram();
    for (int k = 0; k < f.length; k++) {
      double expected = 5000.0 * f[k] / full.train().size();
      assertTrue(Math.abs(c[k] - expected) <= 1.0, full.labels().get(k) + ": " + c[k]);
      assertTrue(c[k] >= 1);
    }
    assertTrue(texts(full.test()).containsAll(texts(capped.test())));
  }

  @Test
  void senseRetrievalUsesDifferentViewsPerSplit() {
    TaskSplits s = Tasks.load(Tasks.SENSE_RETRIEVAL, 7);
    Dataset corpus = s.retrievalCorpus().orElseThrow();
    assertEquals(1000, corpus.size());
    assertEquals(1000, s.labels().size());
    assertEquals("doc-0000", s.labels().get(0));
    assertEquals("doc-0999", s.labels().get(999));
    for (int i = 0; i < corpus.size(); i++) {
      assertEquals(i, corpus.labelIndex(i));
    }
    assertTrue(s.train().size() >= 2500, "train " + s.train().size());
    assertTrue(s.test().size() >= 1000, "test " + s.test().size());
    System.out.println(
        "wordnet-sense-retrieval: corpus "
            + corpus.size()
            + ", train "
            + s.train().size()
            + ", validation "
            + s.validation().size()
            + ", test "
            + s.test().size());
    assertDisjoint(s);
    Set<String> corpusTexts = texts(corpus);
    for (Example e : s.test().examples()) {
      assertFalse(corpusTexts.contains(e.text()));
    }
    // Each document's test queries are its example sentences; its train views come from its
    // definition.
    int docIndex = s.test().labelIndex(0);
    String doc = corpus.example(docIndex).text();
    String label = s.labels().get(docIndex);
    for (Example e : s.train().examples()) {
      if (e.label().equals(label)) {
        for (String word : e.text().split(" ")) {
          assertTrue(doc.contains(word), word + " not in " + doc);
        }
      }
    }
    TaskSplits again = Tasks.load(Tasks.SENSE_RETRIEVAL, 7);
    assertEquals(corpus.examples(), again.corpus().examples());
    assertEquals(s.test().examples(), again.test().examples());
    assertNotEquals(corpus.examples(), Tasks.load(Tasks.SENSE_RETRIEVAL, 8).corpus().examples());
  }

  @Test
  void senseRetrievalCorpusSizeIsConfigurable() {
    TaskSplits s =
        Tasks.load(
            "wordnet-sense-retrieval:documents=200", 3, TaskOptions.defaults().withMaxTest(100));
    assertEquals(200, s.corpus().size());
    assertEquals(100, s.test().size());
    assertEquals(200, s.labels().size());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Tasks.load("wordnet-sense-retrieval:documents=0", 3));
    assertTrue(e.getMessage().contains("documents must be in [1, "), e.getMessage());
  }

  @Test
  void lemmasAreRemovedAsWholeWords() {
    assertEquals(
        List.of("a", "member", "of", "the", "genus"),
        List.of(
            SenseRetrievalTask.withoutLemmas(
                "a member of the genus Dog, domestic dog", List.of("dog", "domestic dog"))));
    assertEquals(
        List.of("dogma", "is", "not"),
        List.of(SenseRetrievalTask.withoutLemmas("dogma is not dog", List.of("dog"))));
  }
}
