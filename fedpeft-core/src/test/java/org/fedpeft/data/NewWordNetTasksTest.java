package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tasks added to the three topic/POS tasks: adjective type, topic domain, verb frames. */
class NewWordNetTasksTest {

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

  /** No text in two splits, and each split at least {@code min} examples. */
  private static void assertSplitsDisjointAndSized(TaskSplits s, int min) {
    Set<String> train = texts(s.train());
    Set<String> validation = texts(s.validation());
    for (Example e : s.test().examples()) {
      assertFalse(train.contains(e.text()), "test text in train: " + e.text());
      assertFalse(validation.contains(e.text()), "test text in validation: " + e.text());
    }
    for (Example e : s.validation().examples()) {
      assertFalse(train.contains(e.text()), "validation text in train: " + e.text());
    }
    for (Dataset d : List.of(s.train(), s.validation(), s.test())) {
      assertTrue(d.size() >= min, d.name() + " has " + d.size());
      assertEquals(d.size(), texts(d).size(), "duplicate text in " + d.name());
      for (Example e : d.examples()) {
        assertEquals(s.task(), e.task());
        assertFalse(e.text().isBlank());
      }
    }
  }

  @Test
  void adjectiveTypeIsBalancedOverThreeTypes() {
    TaskSplits s = Tasks.load(Tasks.ADJECTIVE_TYPE, 1);
    Map<String, Integer> total = totals(s);
    assertEquals(List.of("head", "pertainym", "satellite"), s.labels());
    assertEquals(1, new HashSet<>(total.values()).size(), total.toString());
    int perClass = total.get("head");
    assertTrue(perClass > 3_500 && perClass < 3_800, total.toString());
    assertSplitsDisjointAndSized(s, 1_000);

    Map<String, Integer> all = totals(Tasks.load("wordnet-adjective-type:balanced=false", 1));
    assertTrue(all.get("satellite") > 10_000, all.toString());
    assertTrue(all.get("head") > 3_600, all.toString());
    TaskSplits ppl = Tasks.load("wordnet-adjective-type:includeParticipial=true,balanced=false", 1);
    assertEquals(List.of("head", "participial", "pertainym", "satellite"), ppl.labels());
    assertEquals(60, totals(ppl).get("participial"));
  }

  @Test
  void adjectiveTypesOfKnownSynsets() {
    assertEquals(
        "pertainym", AdjectiveTypeTask.type(WordNet.synset(PartOfSpeech.ADJ, 2721834), false));
    assertEquals("head", AdjectiveTypeTask.type(WordNet.synset(PartOfSpeech.ADJ, 1740), false));
    assertEquals(
        "satellite", AdjectiveTypeTask.type(WordNet.synset(PartOfSpeech.ADJ, 307461), false));
    assertEquals(List.of("dental"), WordNet.synset(PartOfSpeech.ADJ, 2721834).lemmas());
  }

  @Test
  void domainTopicHas15ClassesWithoutTheLabelInTheText() {
    TaskSplits s = Tasks.load(Tasks.DOMAIN_TOPIC, 1);
    Map<String, Integer> total = totals(s);
    System.out.println("wordnet-domain-topic classes: " + total);
    assertEquals(15, s.labels().size());
    assertTrue(s.labels().containsAll(List.of("law", "military", "music", "computer science")));
    assertTrue(total.values().stream().allMatch(n -> n >= 100), total.toString());
    assertTrue(total.get("law") > 550 && total.get("law") < 620, total.toString());
    int all = total.values().stream().mapToInt(Integer::intValue).sum();
    assertTrue(all > 2_800 && all < 3_100, "total " + all);
    assertSplitsDisjointAndSized(s, 250);
    for (Dataset d : List.of(s.train(), s.validation(), s.test())) {
      for (Example e : d.examples()) {
        String lower = e.text().toLowerCase(java.util.Locale.ROOT);
        String label = e.label().toLowerCase(java.util.Locale.ROOT);
        assertFalse(lower.startsWith("(" + label + ")"), e.toString());
        assertFalse(lower.startsWith("(" + label + "s)"), e.toString());
      }
    }
    TaskSplits more = Tasks.load("wordnet-domain-topic:minClassSize=50", 1);
    assertEquals(26, more.labels().size());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Tasks.load("wordnet-domain-topic:minClassSize=100000", 1));
    assertTrue(e.getMessage().contains("leaves no class"), e.getMessage());
  }

  @Test
  void domainTopicsOfKnownSynsets() {
    Synset zeus = WordNet.synset(PartOfSpeech.NOUN, 9596860);
    assertEquals("Greek mythology", DomainTopicTask.topic(zeus));
    assertTrue(
        DomainTopicTask.withoutLabelMarker(zeus.definition(), "Greek mythology")
            .startsWith("the supreme god of ancient Greek mythology; son of Rhea"));
    assertEquals("overtime", DomainTopicTask.withoutLabelMarker("(sports) overtime", "sport"));
    assertEquals("x", DomainTopicTask.withoutLabelMarker("(of a baseball pitch) x", "baseball"));
    assertEquals("(sportsman) x", DomainTopicTask.withoutLabelMarker("(sportsman) x", "sport"));
    // "plea bargain" points to both "criminal law" and "law": left out.
    assertNull(DomainTopicTask.topic(WordNet.synset(PartOfSpeech.NOUN, 6575941)));
    assertNull(DomainTopicTask.topic(WordNetLookup.synsets(PartOfSpeech.NOUN, "dog").get(0)));
    assertEquals("(music) x", DomainTopicTask.withoutLabelMarker("(music) x", "law"));
  }

  @Test
  void verbFrameIsBalancedOverThreeTransitivities() {
    TaskSplits s = Tasks.load(Tasks.VERB_FRAME, 1);
    Map<String, Integer> total = totals(s);
    assertEquals(List.of("ambitransitive", "intransitive", "transitive"), s.labels());
    assertEquals(1, new HashSet<>(total.values()).size(), total.toString());
    assertTrue(
        total.get("transitive") > 1_100 && total.get("transitive") < 1_200, total.toString());
    assertSplitsDisjointAndSized(s, 300);
    Map<String, Integer> all = totals(Tasks.load("wordnet-verb-frame:balanced=false", 1));
    assertTrue(all.get("transitive") > 8_000 && all.get("intransitive") > 3_500, all.toString());
  }

  @Test
  void transitivityOfKnownSynsets() {
    Synset shave = WordNet.synset(PartOfSpeech.VERB, 37291);
    assertEquals(List.of(2, 8, 9), shave.verbFrames());
    assertEquals("ambitransitive", VerbFrameTask.transitivity(shave.verbFrames()));
    assertEquals(
        "intransitive",
        VerbFrameTask.transitivity(WordNet.synset(PartOfSpeech.VERB, 14735).verbFrames()));
    assertEquals(
        "transitive",
        VerbFrameTask.transitivity(WordNet.synset(PartOfSpeech.VERB, 740319).verbFrames()));
    assertNull(VerbFrameTask.transitivity(List.of()));
    assertEquals("intransitive", VerbFrameTask.transitivity(List.of(26, 28, 22)));
  }

  @ParameterizedTest
  @ValueSource(strings = {Tasks.ADJECTIVE_TYPE, Tasks.DOMAIN_TOPIC, Tasks.VERB_FRAME})
  void seededSplitsAreDeterministicAndSeedDependent(String task) {
    TaskSplits a = Tasks.load(task, 7);
    TaskSplits b = Tasks.load(task, 7);
    TaskSplits c = Tasks.load(task, 8);
    assertEquals(a.train().sha256(), b.train().sha256());
    assertEquals(a.validation().sha256(), b.validation().sha256());
    assertEquals(a.test().sha256(), b.test().sha256());
    assertNotEquals(a.test().sha256(), c.test().sha256());
    assertFalse(Tasks.get(task).description().isBlank());
    assertTrue(Tasks.get(task).notice().orElseThrow().contains("Princeton University"));
  }

  @Test
  void sixClassificationTasksWithDifferentLabelSets() {
    List<String> tasks =
        List.of(
            Tasks.NOUN_TOPIC,
            Tasks.VERB_TOPIC,
            Tasks.POS,
            Tasks.ADJECTIVE_TYPE,
            Tasks.DOMAIN_TOPIC,
            Tasks.VERB_FRAME);
    Set<Set<String>> labelSets = new HashSet<>();
    for (String t : tasks) {
      Set<String> labels = Set.copyOf(Tasks.load(t, 1).labels());
      for (Set<String> other : labelSets) {
        assertTrue(java.util.Collections.disjoint(labels, other), t + " shares labels");
      }
      labelSets.add(labels);
    }
    assertEquals(6, labelSets.size());
  }
}
