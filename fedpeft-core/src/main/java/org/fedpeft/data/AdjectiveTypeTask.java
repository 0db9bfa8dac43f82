package org.fedpeft.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fedpeft.random.SeededRandom;

/**
 * WordNet adjective definition to adjective type ({@value Tasks#ADJECTIVE_TYPE}).
 *
 * <p>Text: the definition of an adjective synset of {@code data.adj} (the gloss without its example
 * sentences). Label, from the synset's lexicographer file and {@code ss_type}:
 *
 * <ul>
 *   <li>{@code head}: a head adjective of a descriptive cluster ({@code adj.all}, {@code ss_type}
 *       {@code a}; e.g. "able", "good");
 *   <li>{@code satellite}: a satellite of a head ({@code adj.all}, {@code ss_type} {@code s}; e.g.
 *       "galore", similar to "abundant");
 *   <li>{@code pertainym}: a relational adjective ({@code adj.pert}; e.g. "dental", "of or relating
 *       to the teeth");
 *   <li>{@code participial} ({@code adj.ppl}, 60 synsets): left out unless {@code
 *       includeParticipial=true}.
 * </ul>
 *
 * <p>Synsets with an empty definition are skipped. Texts are then deduplicated as in the topic
 * tasks (a definition shared within a class is kept once, one shared across classes is dropped),
 * which leaves about 3.7k head, 10.7k satellite and 3.7k pertainym definitions. Balanced by
 * default: with {@code balanced=true} each class is subsampled, seeded, to the size of the smallest
 * (about 3.6k each, 11k in all; with {@code includeParticipial=true}, the 60 participial ones set
 * that size); {@code balanced=false} keeps every synset. Splits: seeded and stratified as for every
 * task ({@link Splits#stratified}, 80/10/10 by default).
 */
final class AdjectiveTypeTask implements Task {
  static final String BALANCED = "balanced";
  static final String INCLUDE_PARTICIPIAL = "includeParticipial";

  @Override
  public String name() {
    return Tasks.ADJECTIVE_TYPE;
  }

  @Override
  public String description() {
    return "WordNet 3.1 adjective definition -> adjective type (head, satellite, pertainym;"
        + " balanced by default)";
  }

  @Override
  public Set<String> parameters() {
    return Set.of(BALANCED, INCLUDE_PARTICIPIAL);
  }

  @Override
  public Optional<String> notice() {
    return Optional.of(WordNet.licence());
  }

  /** The label of an adjective synset, or null for a participial one that is left out. */
  static String type(Synset s, boolean includeParticipial) {
    return switch (s.lexname()) {
      case "adj.all" -> s.satellite() ? "satellite" : "head";
      case "adj.pert" -> "pertainym";
      case "adj.ppl" -> includeParticipial ? "participial" : null;
      default ->
          throw new IllegalStateException(
              "adjective synset " + s.id() + " is in lexicographer file " + s.lexname());
    };
  }

  @Override
  public TaskSplits load(long seed, TaskOptions options) {
    String name = name();
    options.requireKnownParams(name, parameters());
    boolean balanced = options.booleanParam(BALANCED, true);
    boolean includeParticipial = options.booleanParam(INCLUDE_PARTICIPIAL, false);
    List<Example> examples = new ArrayList<>();
    for (Synset s : WordNet.synsets(PartOfSpeech.ADJ)) {
      String label = type(s, includeParticipial);
      if (label != null && !s.definition().isBlank()) {
        examples.add(new Example(s.definition(), label, null, name));
      }
    }
    Dataset all = Dataset.of(name, Splits.dedupeByText(examples));
    if (balanced) {
      all = Splits.balance(all, SeededRandom.derive(seed, name + "/balance"));
    }
    return Splits.stratified(name, all, options, seed);
  }
}
