package org.fedpeft.data;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * WordNet definition to topic domain ({@value Tasks#DOMAIN_TOPIC}).
 *
 * <p>Source: the synsets of all four parts of speech that have a topic-domain pointer ({@code ;c},
 * e.g. "Zeus" to "Greek mythology"); about 6.5k in WordNet 3.1. Label: the first lemma of the
 * domain synset, with {@code _} as a space ({@code law}, {@code computer science}, {@code Greek
 * mythology}); domain synsets that share a first lemma (the two "law" synsets) are one class. A
 * synset whose topic pointers lead to two different labels is left out (e.g. "plea bargain", whose
 * topics are "criminal law" and "law").
 *
 * <p>Text: the synset's definition, without a leading parenthesis that names the label (WordNet
 * writes "(biology) similarity or identity of form ..." or "(sports) overtime in which ..." for
 * about a third of these synsets, which would give the answer away; see {@link
 * #withoutLabelMarker}); other parentheses are kept. Synsets whose text is then empty are skipped.
 * Texts are deduplicated as in the topic tasks; then labels with fewer than {@code minClassSize}
 * (default 100) examples are dropped, which leaves 15 classes (law, the largest, about 590;
 * statistics, the smallest, 100) and about 2.9k examples. {@code minClassSize=50} gives 26 classes
 * and about 3.6k. Not balanced. Splits: seeded and stratified ({@link Splits#stratified}, 80/10/10
 * by default, so about 290 test examples with the default size).
 */
final class DomainTopicTask implements Task {
  static final String MIN_CLASS_SIZE = "minClassSize";
  static final int DEFAULT_MIN_CLASS_SIZE = 100;

  @Override
  public String name() {
    return Tasks.DOMAIN_TOPIC;
  }

  @Override
  public String description() {
    return "WordNet 3.1 definition -> topic domain (law, military, music, ...; 15 classes of at"
        + " least 100 by default)";
  }

  @Override
  public Set<String> parameters() {
    return Set.of(MIN_CLASS_SIZE);
  }

  @Override
  public Optional<String> notice() {
    return Optional.of(WordNet.licence());
  }

  /** The topic-domain label of a synset, or null when it has none or two different ones. */
  static String topic(Synset s) {
    Set<String> labels = new TreeSet<>();
    for (DomainPointer p : s.domains()) {
      if (p.kind() == DomainPointer.Kind.TOPIC) {
        labels.add(WordNet.synset(p.pos(), p.offset()).lemmas().get(0));
      }
    }
    return labels.size() == 1 ? labels.iterator().next() : null;
  }

  /**
   * The definition without a leading parenthesis that names the label: one that contains the label,
   * or the label followed by {@code s}, as a whole word or phrase, ignoring case ("(sports)" for
   * {@code sport}, "(of a baseball pitch)" for {@code baseball}); trimmed.
   */
  static String withoutLabelMarker(String definition, String label) {
    String d = definition.trim();
    if (d.startsWith("(")) {
      int close = d.indexOf(')');
      if (close > 0) {
        String inside = d.substring(1, close).toLowerCase(Locale.ROOT);
        Pattern names =
            Pattern.compile(
                "(^|[^\\p{L}])"
                    + Pattern.quote(label.toLowerCase(Locale.ROOT))
                    + "s?([^\\p{L}]|$)");
        if (names.matcher(inside).find()) {
          return d.substring(close + 1).trim();
        }
      }
    }
    return d;
  }

  @Override
  public TaskSplits load(long seed, TaskOptions options) {
    String name = name();
    options.requireKnownParams(name, parameters());
    int minClassSize = options.intParam(MIN_CLASS_SIZE, DEFAULT_MIN_CLASS_SIZE);
    if (minClassSize < 1) {
      throw new IllegalArgumentException(
          "parameter minClassSize must be at least 1, got " + minClassSize);
    }
    // Every part of speech is held until the loop ends: topic() looks pointers' targets up by
    // offset, and WordNet keeps a file's synsets only while someone holds them.
    List<List<Synset>> all = new ArrayList<>();
    for (PartOfSpeech pos : PartOfSpeech.values()) {
      all.add(WordNet.synsets(pos));
    }
    List<Example> examples = new ArrayList<>();
    try {
      for (List<Synset> synsets : all) {
        for (Synset s : synsets) {
          String label = topic(s);
          if (label == null) {
            continue;
          }
          String text = withoutLabelMarker(s.definition(), label);
          if (!text.isEmpty()) {
            examples.add(new Example(text, label, null, name));
          }
        }
      }
    } finally {
      Reference.reachabilityFence(all);
    }
    examples = Splits.dropSmallClasses(Splits.dedupeByText(examples), minClassSize);
    if (examples.isEmpty()) {
      throw new IllegalArgumentException(
          "parameter minClassSize=" + minClassSize + " leaves no class of " + name);
    }
    return Splits.stratified(name, Dataset.of(name, examples), options, seed);
  }
}
