package org.fedpeft.data;

import java.util.Objects;

/**
 * A WordNet domain pointer: the synset belongs to the domain synset at {@code offset} (always a
 * noun in WordNet 3.1).
 *
 * @param kind topic, region or usage
 * @param pos the part of speech of the domain synset
 * @param offset the data-file offset of the domain synset
 */
public record DomainPointer(Kind kind, PartOfSpeech pos, int offset) {

  /** The three kinds of domain; {@link #symbol()} is the pointer symbol in the data files. */
  public enum Kind {
    /** Topic domain, pointer {@code ;c} (e.g. law, music, computer science). */
    TOPIC(";c"),
    /** Region domain, pointer {@code ;r} (e.g. United Kingdom, France). */
    REGION(";r"),
    /** Usage domain, pointer {@code ;u} (e.g. colloquialism, slang, trademark). */
    USAGE(";u");

    private final String symbol;

    Kind(String symbol) {
      this.symbol = symbol;
    }

    /** The pointer symbol: {@code ;c}, {@code ;r} or {@code ;u}. */
    public String symbol() {
      return symbol;
    }

    /** The kind of a pointer symbol, or null if the symbol is not a domain pointer. */
    static Kind ofSymbol(String symbol) {
      for (Kind k : values()) {
        if (k.symbol.equals(symbol)) {
          return k;
        }
      }
      return null;
    }
  }

  /** Checks the fields. */
  public DomainPointer {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(pos, "pos");
  }
}
