package org.fedpeft.data;

import java.util.List;
import java.util.Objects;

/**
 * One WordNet synset as parsed from a {@code data.*} file.
 *
 * @param pos the part of speech (satellite adjectives are {@link PartOfSpeech#ADJ})
 * @param offset the byte offset of the synset in its data file, WordNet's synset key
 * @param lexFile the lexicographer file number (0-44)
 * @param lexname the lexicographer file name, e.g. {@code noun.artifact}
 * @param satellite true for satellite adjectives ({@code ss_type} {@code s})
 * @param lemmas the words of the synset, with {@code _} replaced by a space and adjective markers
 *     such as {@code (p)} removed, in file order
 * @param definition the gloss without its example sentences
 * @param examples the example sentences of the gloss, without quotes and attributions
 * @param domains the synset's domain pointers ({@code ;c}, {@code ;r}, {@code ;u}: the topic,
 *     region or usage domain it belongs to), in file order; the line's other pointers are not kept
 * @param verbFrames for verbs, the generic sentence frame numbers (1-35, see WordNet's {@code
 *     verb.Framestext}) listed on the line, whether for all the synset's words or for one of them,
 *     ascending and distinct; empty for other parts of speech
 */
public record Synset(
    PartOfSpeech pos,
    int offset,
    int lexFile,
    String lexname,
    boolean satellite,
    List<String> lemmas,
    String definition,
    List<String> examples,
    List<DomainPointer> domains,
    List<Integer> verbFrames) {

  /** Copies the lists. */
  public Synset {
    Objects.requireNonNull(pos, "pos");
    Objects.requireNonNull(lexname, "lexname");
    lemmas = List.copyOf(lemmas);
    Objects.requireNonNull(definition, "definition");
    examples = List.copyOf(examples);
    domains = List.copyOf(domains);
    verbFrames = List.copyOf(verbFrames);
  }

  /** The usual synset identifier: eight-digit offset, dash, part-of-speech letter (02086723-n). */
  public String id() {
    String digits = Integer.toString(offset);
    return "0".repeat(Math.max(0, 8 - digits.length())) + digits + "-" + pos.symbol();
  }
}
