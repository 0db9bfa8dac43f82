package org.fedpeft.data;

/** The four WordNet parts of speech; satellite adjectives ({@code s}) count as {@link #ADJ}. */
public enum PartOfSpeech {
  /** Nouns, file {@code data.noun}. */
  NOUN('n', "noun"),
  /** Verbs, file {@code data.verb}. */
  VERB('v', "verb"),
  /** Adjectives, including satellites, file {@code data.adj}. */
  ADJ('a', "adj"),
  /** Adverbs, file {@code data.adv}. */
  ADV('r', "adv");

  private final char symbol;
  private final String fileSuffix;

  PartOfSpeech(char symbol, String fileSuffix) {
    this.symbol = symbol;
    this.fileSuffix = fileSuffix;
  }

  /** WordNet's one-letter code: n, v, a, r. */
  public char symbol() {
    return symbol;
  }

  /** The short name used in file names and as the wordnet-pos label: noun, verb, adj, adv. */
  public String shortName() {
    return fileSuffix;
  }

  /** The part of speech of a data-file {@code ss_type} letter (n, v, a, s, r). */
  public static PartOfSpeech ofSynsetType(char ssType) {
    return switch (ssType) {
      case 'n' -> NOUN;
      case 'v' -> VERB;
      case 'a', 's' -> ADJ;
      case 'r' -> ADV;
      default -> throw new IllegalArgumentException("unknown WordNet ss_type '" + ssType + "'");
    };
  }
}
