package org.fedpeft.data;

import java.util.List;

/** Finds the synsets the data tests name by a lemma. */
final class WordNetLookup {

  private WordNetLookup() {}

  /** The synsets of a part of speech that contain {@code lemma} (case-insensitive), file order. */
  static List<Synset> synsets(PartOfSpeech pos, String lemma) {
    return WordNet.synsets(pos).stream()
        .filter(s -> s.lemmas().stream().anyMatch(l -> l.equalsIgnoreCase(lemma)))
        .toList();
  }
}
