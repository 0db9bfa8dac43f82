package org.fedpeft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.fedpeft.random.SeededRandom;

/**
 * Sense retrieval over WordNet: find the synset (document) a query describes.
 *
 * <p>The corpus holds {@code documents} synsets (default 1000), drawn with the seed from every part
 * of speech among the synsets that have at least one example sentence and a definition of at least
 * four words once its lemmas are removed. Document {@code i} has label {@code doc-000i} (zero
 * padded, so label order is document order) and text {@code "lemma1, lemma2: definition"}.
 *
 * <p>Queries are other views of the same synset, and each split uses different views:
 *
 * <ul>
 *   <li>train: the definition with the synset's lemmas removed, plus {@code dropViews} (default 2)
 *       copies of it with words dropped at random (each word with probability {@code dropRate},
 *       default 0.3, at least one dropped and one kept);
 *   <li>validation: one more word-dropped copy, different from every train view (same kind as
 *       train, for early stopping; skipped for a synset when no new copy can be drawn);
 *   <li>test: the synset's example sentences, a different kind of text (usage, not definition), so
 *       the test is never a copy of training.
 * </ul>
 *
 * Every query text occurs once in the whole task: a view that repeats a text already used (by this
 * or another document) is redrawn or left out, and a synset whose definition is already a document
 * is passed over. So no text carries two labels and no validation or test text is in train.
 *
 * <p>The split fractions of {@link TaskOptions} do not apply (the views define the splits); the
 * caps do. Polysemy makes it a real retrieval problem: "dog" is in seven noun synsets.
 */
final class SenseRetrievalTask implements Task {
  static final String NAME = Tasks.SENSE_RETRIEVAL;
  static final String DOCUMENTS = "documents";
  static final String DROP_RATE = "dropRate";
  static final String DROP_VIEWS = "dropViews";
  static final int DEFAULT_DOCUMENTS = 1000;
  private static final int MIN_WORDS = 4;
  private static final int TRIES = 20;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean hasCorpus() {
    return true;
  }

  @Override
  public String description() {
    return "WordNet 3.1 sense retrieval: queries (definition views; test: example sentences) ->"
        + " synset document (default 1000 documents)";
  }

  @Override
  public Optional<String> notice() {
    return Optional.of(WordNet.licence());
  }

  @Override
  public Set<String> parameters() {
    return Set.of(DOCUMENTS, DROP_RATE, DROP_VIEWS);
  }

  @Override
  public TaskSplits load(long seed, TaskOptions options) {
    options.requireKnownParams(NAME, parameters());
    int documents = options.intParam(DOCUMENTS, DEFAULT_DOCUMENTS);
    double dropRate = options.doubleParam(DROP_RATE, 0.3);
    int dropViews = options.intParam(DROP_VIEWS, 2);
    if (!(dropRate > 0 && dropRate < 1)) {
      throw new IllegalArgumentException("parameter dropRate must be in (0, 1), got " + dropRate);
    }
    if (dropViews < 0) {
      throw new IllegalArgumentException("parameter dropViews must be >= 0, got " + dropViews);
    }

    List<Synset> pool = new ArrayList<>();
    for (PartOfSpeech pos : PartOfSpeech.values()) {
      for (Synset s : WordNet.synsets(pos)) {
        if (!s.examples().isEmpty()) {
          pool.add(s);
        }
      }
    }
    if (documents < 1 || documents > pool.size()) {
      throw new IllegalArgumentException(
          "parameter documents must be in [1, " + pool.size() + "], got " + documents);
    }
    SeededRandom rng = SeededRandom.derive(seed, NAME + "/documents");
    int[] order = rng.permutation(pool.size());
    int width = Math.max(4, Integer.toString(documents - 1).length());

    List<String> labels = new ArrayList<>(documents);
    List<Example> corpus = new ArrayList<>(documents);
    List<Example> train = new ArrayList<>();
    List<Example> validation = new ArrayList<>();
    List<Example> test = new ArrayList<>();
    // Every query text is used once across all splits and documents, so no text has two labels
    // and no validation or test text is in train.
    Set<String> used = new HashSet<>();
    Set<String> docTexts = new HashSet<>();
    SeededRandom views = SeededRandom.derive(seed, NAME + "/views");
    for (int k = 0; k < order.length && labels.size() < documents; k++) {
      Synset s = pool.get(order[k]);
      String[] words = withoutLemmas(s.definition(), s.lemmas());
      if (words.length < MIN_WORDS) {
        continue; // too short to give distinct word-dropped views
      }
      String doc = String.join(", ", s.lemmas()) + ": " + s.definition();
      String bare = String.join(" ", words);
      if (used.contains(bare) || docTexts.contains(doc)) {
        continue; // another synset with the same definition is already a document
      }
      String label = String.format(Locale.ROOT, "doc-%0" + width + "d", labels.size());
      labels.add(label);
      docTexts.add(doc);
      corpus.add(new Example(doc, label, null, NAME));
      used.add(bare);
      train.add(new Example(bare, label, null, NAME));
      for (int v = 0; v < dropViews; v++) {
        String dropped = freshDrop(words, dropRate, used, views);
        if (dropped != null) {
          train.add(new Example(dropped, label, null, NAME));
        }
      }
      String held = freshDrop(words, dropRate, used, views);
      if (held != null) {
        validation.add(new Example(held, label, null, NAME));
      }
      for (String sentence : s.examples()) {
        if (used.add(sentence)) {
          test.add(new Example(sentence, label, null, NAME));
        }
      }
    }
    if (labels.size() < documents) {
      throw new IllegalArgumentException(
          "parameter documents: only " + labels.size() + " distinct documents are available");
    }
    SeededRandom shuffle = SeededRandom.derive(seed, NAME + "/shuffle");
    TaskSplits splits =
        new TaskSplits(
            NAME,
            shuffled(NAME + "/train", train, labels, shuffle),
            shuffled(NAME + "/validation", validation, labels, shuffle),
            shuffled(NAME + "/test", test, labels, shuffle),
            Dataset.of(NAME + "/corpus", corpus, labels));
    return Splits.capped(splits, options, seed);
  }

  /** A word-dropped copy not yet in {@code used} (then added to it), or null after many tries. */
  private static String freshDrop(
      String[] words, double dropRate, Set<String> used, SeededRandom rng) {
    for (int t = 0; t < TRIES; t++) {
      List<String> kept = new ArrayList<>(words.length);
      int dropped = 0;
      for (String w : words) {
        if (rng.nextDouble() < dropRate) {
          dropped++;
        } else {
          kept.add(w);
        }
      }
      if (dropped == 0 || kept.isEmpty()) {
        continue;
      }
      String text = String.join(" ", kept);
      if (used.add(text)) {
        return text;
      }
    }
    return null;
  }

  /**
   * The words of a definition without the synset's lemmas (matched case-insensitively as whole
   * words, longest lemma first, ignoring punctuation around a word).
   */
  static String[] withoutLemmas(String definition, List<String> lemmas) {
    String[] words = definition.trim().split("\\s+");
    String[] keys = new String[words.length];
    for (int i = 0; i < words.length; i++) {
      keys[i] = normal(words[i]);
    }
    List<String[]> phrases = new ArrayList<>();
    for (String lemma : lemmas) {
      String[] parts = lemma.trim().split("\\s+");
      for (int i = 0; i < parts.length; i++) {
        parts[i] = normal(parts[i]);
      }
      phrases.add(parts);
    }
    phrases.sort(Comparator.comparingInt((String[] p) -> -p.length));
    boolean[] removed = new boolean[words.length];
    for (String[] phrase : phrases) {
      for (int i = 0; i + phrase.length <= words.length; i++) {
        boolean match = true;
        for (int k = 0; k < phrase.length && match; k++) {
          match = !removed[i + k] && keys[i + k].equals(phrase[k]) && !phrase[k].isEmpty();
        }
        if (match) {
          Arrays.fill(removed, i, i + phrase.length, true);
        }
      }
    }
    List<String> kept = new ArrayList<>(words.length);
    for (int i = 0; i < words.length; i++) {
      if (!removed[i] && !words[i].isEmpty()) {
        kept.add(words[i]);
      }
    }
    return kept.toArray(new String[0]);
  }

  private static String normal(String word) {
    int a = 0;
    int b = word.length();
    while (a < b && !Character.isLetterOrDigit(word.charAt(a))) {
      a++;
    }
    while (b > a && !Character.isLetterOrDigit(word.charAt(b - 1))) {
      b--;
    }
    return word.substring(a, b).toLowerCase(Locale.ROOT);
  }

  private static Dataset shuffled(
      String name, List<Example> examples, List<String> labels, SeededRandom rng) {
    List<Example> copy = new ArrayList<>(examples);
    int[] perm = rng.permutation(copy.size());
    List<Example> out = new ArrayList<>(copy.size());
    for (int i : perm) {
      out.add(copy.get(i));
    }
    return Dataset.of(name, out, labels);
  }
}
