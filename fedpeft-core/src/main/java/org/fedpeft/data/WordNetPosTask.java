package org.fedpeft.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fedpeft.random.SeededRandom;

/**
 * WordNet gloss definition to part of speech: {@code adj}, {@code adv}, {@code noun}, {@code verb}
 * (satellite adjectives count as {@code adj}).
 *
 * <p>Balanced by default: WordNet has 82k noun, 18k adjective, 14k verb and 3.6k adverb synsets, so
 * a majority-class guess would score 70% and hide what fine-tuning does. With {@code balanced=true}
 * (the default) each class is subsampled, seeded, to the size of the smallest (the adverbs, about
 * 3.5k after deduplication), about 14k examples in all; {@code balanced=false} keeps every synset.
 * Texts are deduplicated as in the topic tasks (a definition used by two parts of speech, such as
 * "before noon", is dropped).
 */
final class WordNetPosTask implements Task {
  static final String NAME = Tasks.POS;
  static final String BALANCED = "balanced";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "WordNet 3.1 definition -> part of speech (adj, adv, noun, verb; balanced by default)";
  }

  @Override
  public Optional<String> notice() {
    return Optional.of(WordNet.licence());
  }

  @Override
  public Set<String> parameters() {
    return Set.of(BALANCED);
  }

  @Override
  public TaskSplits load(long seed, TaskOptions options) {
    options.requireKnownParams(NAME, parameters());
    boolean balanced = options.booleanParam(BALANCED, true);
    List<Example> examples = new ArrayList<>();
    for (PartOfSpeech pos : PartOfSpeech.values()) {
      for (Synset s : WordNet.synsets(pos)) {
        examples.add(new Example(s.definition(), pos.shortName(), null, NAME));
      }
    }
    Dataset all = Dataset.of(NAME, Splits.dedupeByText(examples));
    if (balanced) {
      all = Splits.balance(all, SeededRandom.derive(seed, NAME + "/balance"));
    }
    return Splits.stratified(NAME, all, options, seed);
  }
}
