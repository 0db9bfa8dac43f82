package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordNetTest {

  @Test
  void lexnameTableHasTheStandard45Files() {
    assertEquals(45, WordNet.LEXNAMES.size());
    assertEquals("noun.Tops", WordNet.LEXNAMES.get(3));
    assertEquals("noun.artifact", WordNet.LEXNAMES.get(6));
    assertEquals("verb.body", WordNet.LEXNAMES.get(29));
    assertEquals("adj.ppl", WordNet.LEXNAMES.get(44));
  }

  @Test
  void synsetCountsOfWordNet31() {
    assertEquals(82_192, WordNet.synsets(PartOfSpeech.NOUN).size());
    assertEquals(13_789, WordNet.synsets(PartOfSpeech.VERB).size());
    assertEquals(18_185, WordNet.synsets(PartOfSpeech.ADJ).size());
    assertEquals(3_625, WordNet.synsets(PartOfSpeech.ADV).size());
    assertSame(WordNet.synsets(PartOfSpeech.NOUN), WordNet.synsets(PartOfSpeech.NOUN));
  }

  @Test
  void synsetsNoOneHoldsAreCollectedAndParsedAgainEqual() {
    List<Synset> first = WordNet.synsets(PartOfSpeech.ADV);
    List<Synset> head = List.copyOf(first.subList(0, 50));
    Synset byOffset = WordNet.synset(PartOfSpeech.ADV, head.get(7).offset());
    assertSame(head.get(7), byOffset);
    WeakReference<List<Synset>> held = new WeakReference<>(first);
    first = null;
    byOffset = null;
    // Not timing: each full collection either clears the reference or it stays set; 20 tries.
    for (int i = 0; i < 20 && held.get() != null; i++) {
      System.gc();
    }
    assertNull(held.get(), "the cache must not keep a file's synsets no one holds");
    List<Synset> again = WordNet.synsets(PartOfSpeech.ADV);
    assertEquals(3_625, again.size());
    assertEquals(head, again.subList(0, 50));
    assertEquals(head.get(7), WordNet.synset(PartOfSpeech.ADV, head.get(7).offset()));
  }

  @Test
  void parsesTheDogSynset() {
    Synset dog = WordNetLookup.synsets(PartOfSpeech.NOUN, "dog").get(0);
    assertEquals(2_086_723, dog.offset());
    assertEquals("02086723-n", dog.id());
    assertEquals("noun.animal", dog.lexname());
    assertEquals(List.of("dog", "domestic dog", "Canis familiaris"), dog.lemmas());
    assertTrue(dog.definition().startsWith("a member of the genus Canis"), dog.definition());
    assertEquals(List.of("the dog barked all night"), dog.examples());
    assertEquals(7, WordNetLookup.synsets(PartOfSpeech.NOUN, "dog").size());
  }

  @Test
  void knownLexnamesAcrossPartsOfSpeech() {
    assertEquals("noun.Tops", WordNet.synsets(PartOfSpeech.NOUN).get(0).lexname()); // entity
    assertEquals(List.of("physical entity"), WordNet.synsets(PartOfSpeech.NOUN).get(1).lemmas());
    assertEquals(
        "noun.plant", WordNetLookup.synsets(PartOfSpeech.NOUN, "oak tree").get(0).lexname());
    assertEquals(
        "noun.person", WordNetLookup.synsets(PartOfSpeech.NOUN, "carpenter").get(0).lexname());
    assertEquals("verb.weather", WordNetLookup.synsets(PartOfSpeech.VERB, "rain").get(0).lexname());
    assertEquals(10, WordNetLookup.synsets(PartOfSpeech.VERB, "walk").size());
    Synset galore = WordNetLookup.synsets(PartOfSpeech.ADJ, "galore").get(0);
    assertTrue(galore.satellite());
    assertEquals(PartOfSpeech.ADJ, galore.pos());
    assertEquals(List.of("abounding", "galore"), galore.lemmas()); // "(ip)" marker removed
    assertEquals("adv.all", WordNet.synsets(PartOfSpeech.ADV).get(0).lexname());
  }

  @Test
  void glossSplitsDefinitionFromExamples() {
    Synset object = WordNetLookup.synsets(PartOfSpeech.NOUN, "physical object").get(0);
    assertEquals(
        "a tangible and visible entity; an entity that can cast a shadow", object.definition());
    assertEquals(List.of("it was full of rackets, balls and other objects"), object.examples());

    List<String> examples = new ArrayList<>();
    String definition =
        WordNet.splitGloss(
            "the readiness to perceive sensations; elementary consciousness; \"gave sentience to"
                + " slugs and newts\"- Richard Eberhart; \"a second; with a semicolon\"",
            examples);
    assertEquals("the readiness to perceive sensations; elementary consciousness", definition);
    assertEquals(
        List.of("gave sentience to slugs and newts", "a second; with a semicolon"), examples);
  }

  @Test
  void skipsTheLicenceHeaderAndParsesHexWordCounts() {
    String data =
        "  1 This software and database is being provided to you\n"
            + "  2 Princeton University\n"
            + "00000042 05 n 0b a 0 b 0 c 0 d 0 e 0 f 0 g 0 h 0 i 0 j 0 k_l 1 000 | def;"
            + " \"ex\"  \n";
    List<Synset> parsed =
        WordNet.parse(PartOfSpeech.NOUN, data.getBytes(StandardCharsets.US_ASCII));
    assertEquals(1, parsed.size());
    Synset s = parsed.get(0);
    assertEquals(11, s.lemmas().size());
    assertEquals("k l", s.lemmas().get(10));
    assertEquals("noun.animal", s.lexname());
    assertEquals("def", s.definition());
    assertEquals(List.of("ex"), s.examples());
    assertFalse(s.satellite());
  }

  @Test
  void everySynsetHasADefinition() {
    for (PartOfSpeech pos : PartOfSpeech.values()) {
      for (Synset s : WordNet.synsets(pos)) {
        if (s.definition().isBlank() || s.lemmas().isEmpty()) {
          throw new AssertionError("empty definition or no lemmas: " + s);
        }
      }
    }
  }

  @Test
  void keepsDomainPointersAndVerbFrames() {
    Synset v =
        WordNet.parseLine(
            "00014735 29 v 02 sleep 0 kip 0 003 @ 00014490 v 0000 ;c 06000000 n 0000"
                + " ;u 07000000 n 0102 03 + 08 00 + 02 00 + 08 02 | be asleep; \"she slept\"");
    assertEquals(
        List.of(
            new DomainPointer(DomainPointer.Kind.TOPIC, PartOfSpeech.NOUN, 6_000_000),
            new DomainPointer(DomainPointer.Kind.USAGE, PartOfSpeech.NOUN, 7_000_000)),
        v.domains());
    assertEquals(List.of(2, 8), v.verbFrames());
    assertEquals("be asleep", v.definition());
    assertEquals(List.of("she slept"), v.examples());
    Synset n = WordNet.parseLine("00001740 03 n 01 entity 0 001 ~ 00001930 n 0000 | that which is");
    assertTrue(n.domains().isEmpty());
    assertTrue(n.verbFrames().isEmpty());
  }

  @Test
  void realDomainPointersResolveAndTheLicenceIsAvailable() {
    Synset zeus = WordNet.synset(PartOfSpeech.NOUN, 9_596_860);
    assertEquals(List.of("Zeus"), zeus.lemmas());
    DomainPointer topic = zeus.domains().get(0);
    assertEquals(DomainPointer.Kind.TOPIC, topic.kind());
    assertEquals(List.of("Greek mythology"), WordNet.synset(topic.pos(), topic.offset()).lemmas());
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> WordNet.synset(PartOfSpeech.NOUN, 1));
    assertTrue(e.getMessage().contains("no noun synset at offset 1"), e.getMessage());
    String licence = WordNet.licence();
    assertTrue(licence.startsWith("This software and database is being provided"), licence);
    assertTrue(licence.contains("WordNet 3.1 Copyright 2011 by Princeton University."), licence);
    assertFalse(licence.contains("  1 "), licence);
  }
}
