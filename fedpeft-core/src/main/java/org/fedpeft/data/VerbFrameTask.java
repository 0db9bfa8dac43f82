package org.fedpeft.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fedpeft.random.SeededRandom;

/**
 * WordNet verb definition to transitivity, read off the verb's sentence frames ({@value
 * Tasks#VERB_FRAME}).
 *
 * <p>Text: the definition of a verb synset of {@code data.verb}. Label, from the generic sentence
 * frames the synset lists (WordNet's 35 frames, {@code verb.Framestext}; the frames of all its
 * words together, {@link Synset#verbFrames()}):
 *
 * <ul>
 *   <li>{@code transitive}: every frame has a noun-phrase object, i.e. is one of 5, 8, 9, 10, 11,
 *       14, 15, 16, 17, 18, 19, 20, 21, 24, 25, 30 and 31 (e.g. 8 "Somebody ----s something", 9
 *       "Somebody ----s somebody", 14 "Somebody ----s somebody something");
 *   <li>{@code intransitive}: no frame has one (e.g. 1 "Something ----s", 2 "Somebody ----s", 22
 *       "Somebody ----s PP", 26 "Somebody ----s that CLAUSE", 28 "Somebody ----s to INFINITIVE": a
 *       clause or prepositional phrase is not a noun-phrase object);
 *   <li>{@code ambitransitive}: some frames have one and some do not (e.g. "shave", frames 2, 8 and
 *       9: "he shaved", "he shaved his legs"). WordNet often splits a verb's transitive and
 *       intransitive uses into two senses ("break": "stock prices broke" is one synset, "break the
 *       code" another), so this class is the smallest.
 * </ul>
 *
 * <p>Synsets with no frame or an empty definition are skipped. Texts are deduplicated as in the
 * topic tasks, which leaves about 8.6k transitive, 3.9k intransitive and 1.15k ambitransitive
 * definitions. Balanced by default: with {@code balanced=true} each class is subsampled, seeded, to
 * the size of the smallest (about 1.15k each, 3.4k in all); {@code balanced=false} keeps every
 * synset. Splits: seeded and stratified ({@link Splits#stratified}, 80/10/10 by default).
 */
final class VerbFrameTask implements Task {
  static final String BALANCED = "balanced";

  /** The frames with a noun-phrase object, as written in the Javadoc. */
  static final Set<Integer> OBJECT_FRAMES =
      Set.of(5, 8, 9, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 24, 25, 30, 31);

  @Override
  public String name() {
    return Tasks.VERB_FRAME;
  }

  @Override
  public String description() {
    return "WordNet 3.1 verb definition -> transitivity from its sentence frames (transitive,"
        + " intransitive, ambitransitive; balanced by default)";
  }

  @Override
  public Set<String> parameters() {
    return Set.of(BALANCED);
  }

  @Override
  public Optional<String> notice() {
    return Optional.of(WordNet.licence());
  }

  /** The label of a set of frame numbers, or null when there are none. */
  static String transitivity(List<Integer> frames) {
    if (frames.isEmpty()) {
      return null;
    }
    int withObject = 0;
    for (int f : frames) {
      if (OBJECT_FRAMES.contains(f)) {
        withObject++;
      }
    }
    if (withObject == frames.size()) {
      return "transitive";
    }
    return withObject == 0 ? "intransitive" : "ambitransitive";
  }

  @Override
  public TaskSplits load(long seed, TaskOptions options) {
    String name = name();
    options.requireKnownParams(name, parameters());
    boolean balanced = options.booleanParam(BALANCED, true);
    List<Example> examples = new ArrayList<>();
    for (Synset s : WordNet.synsets(PartOfSpeech.VERB)) {
      String label = transitivity(s.verbFrames());
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
