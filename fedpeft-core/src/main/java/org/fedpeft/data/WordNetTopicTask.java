package org.fedpeft.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * WordNet gloss definition to lexicographer file (its topic), for nouns or verbs.
 *
 * <p>Classes and why: every lexicographer file of the part of speech is a class, except {@code
 * noun.Tops} (51 synsets), which is not a topic but the handful of unique beginners at the top of
 * the hierarchy ({@code entity}, {@code abstraction}, {@code group}...) whose definitions are
 * abstract by design; {@code includeTops=true} keeps it. That leaves 25 noun classes (the smallest
 * is {@code noun.motive}, 42 synsets; the next smallest {@code noun.shape}, 344) and all 15 verb
 * classes. {@code minClassSize=N} drops classes with fewer than N examples (e.g. 100 leaves 24 noun
 * classes, without {@code noun.motive}).
 *
 * <p>Texts are deduplicated: a definition shared by synsets of one class is kept once, and one
 * shared across classes is dropped (it cannot be classified, and a copy in test would leak the
 * answer).
 */
final class WordNetTopicTask implements Task {
  static final String MIN_CLASS_SIZE = "minClassSize";
  static final String INCLUDE_TOPS = "includeTops";

  private final String name;
  private final PartOfSpeech pos;

  WordNetTopicTask(String name, PartOfSpeech pos) {
    this.name = name;
    this.pos = pos;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return "WordNet 3.1 "
        + pos.shortName()
        + " definition -> lexicographer file ("
        + (pos == PartOfSpeech.NOUN ? "25 classes, noun.Tops excluded" : "15 classes")
        + ")";
  }

  @Override
  public Optional<String> notice() {
    return Optional.of(WordNet.licence());
  }

  @Override
  public Set<String> parameters() {
    return pos == PartOfSpeech.NOUN ? Set.of(MIN_CLASS_SIZE, INCLUDE_TOPS) : Set.of(MIN_CLASS_SIZE);
  }

  @Override
  public TaskSplits load(long seed, TaskOptions options) {
    options.requireKnownParams(name, parameters());
    int minClassSize = options.intParam(MIN_CLASS_SIZE, 0);
    boolean includeTops = options.booleanParam(INCLUDE_TOPS, false);
    List<Example> examples = new ArrayList<>();
    for (Synset s : WordNet.synsets(pos)) {
      if (!includeTops && s.lexname().equals("noun.Tops")) {
        continue;
      }
      examples.add(new Example(s.definition(), s.lexname(), null, name));
    }
    examples = Splits.dedupeByText(examples);
    if (minClassSize > 0) {
      examples = Splits.dropSmallClasses(examples, minClassSize);
    }
    return Splits.stratified(name, Dataset.of(name, examples), options, seed);
  }
}
