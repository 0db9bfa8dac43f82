package org.fedpeft.data;

import java.util.ArrayList;
import java.util.List;
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
  static final String NAME = "wordnet-pos";
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
      int smallest = Integer.MAX_VALUE;
      for (int count : all.labelHistogram()) {
        smallest = Math.min(smallest, count);
      }
      all = balance(all, smallest, SeededRandom.derive(seed, NAME + "/balance"));
    }
    return Splits.stratified(NAME, all, options, seed);
  }

  /** Keeps {@code perClass} examples of each class, chosen at random, in their original order. */
  private static Dataset balance(Dataset data, int perClass, SeededRandom rng) {
    boolean[] keep = new boolean[data.size()];
    for (List<Integer> members : Splits.indicesByClass(data)) {
      int[] idx = Splits.toArray(members);
      rng.shuffle(idx);
      for (int k = 0; k < Math.min(perClass, idx.length); k++) {
        keep[idx[k]] = true;
      }
    }
    int[] chosen = new int[data.size()];
    int m = 0;
    for (int i = 0; i < keep.length; i++) {
      if (keep[i]) {
        chosen[m++] = i;
      }
    }
    return data.subset(data.name(), java.util.Arrays.copyOf(chosen, m));
  }
}
