package org.fedpeft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.random.SeededRandom;

/**
 * Seeded, stratified splitting and sub-sampling of datasets: the same seed gives the same result on
 * any machine. Also used for a user's single data file that needs train/validation/test splits.
 */
public final class Splits {
  private Splits() {}

  /**
   * Splits {@code all} class by class into train, validation and test by the fractions of {@code
   * options}, then applies its caps (stratified). Within a class, the examples are shuffled and
   * cut: {@code round(n * testFraction)} to test, {@code round(n * validationFraction)} to
   * validation, the rest to train; a class of at least 3 examples puts at least one in each split
   * whose fraction is positive, and every non-empty class keeps at least one training example. Each
   * split is then shuffled, so classes are interleaved.
   *
   * @param task the task name; splits are named {@code task/train}, {@code task/validation}, {@code
   *     task/test}
   */
  public static TaskSplits stratified(String task, Dataset all, TaskOptions options, long seed) {
    SeededRandom rng = SeededRandom.derive(seed, task + "/split");
    List<List<Integer>> byClass = indicesByClass(all);
    List<Integer> train = new ArrayList<>();
    List<Integer> validation = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    double testFraction = options.testFraction();
    for (List<Integer> members : byClass) {
      int n = members.size();
      if (n == 0) {
        continue;
      }
      int[] idx = toArray(members);
      rng.shuffle(idx);
      int nTest = (int) Math.round(n * testFraction);
      int nVal = (int) Math.round(n * options.validationFraction());
      if (n >= 3 && testFraction > 0 && nTest == 0) {
        nTest = 1;
      }
      if (n >= 3 && options.validationFraction() > 0 && nVal == 0) {
        nVal = 1;
      }
      while (nTest + nVal > n - 1) {
        if (nVal >= nTest && nVal > 0) {
          nVal--;
        } else {
          nTest--;
        }
      }
      for (int k = 0; k < n; k++) {
        if (k < nTest) {
          test.add(idx[k]);
        } else if (k < nTest + nVal) {
          validation.add(idx[k]);
        } else {
          train.add(idx[k]);
        }
      }
    }
    Dataset trainSet = all.subset(task + "/train", shuffled(train, rng));
    Dataset validationSet = all.subset(task + "/validation", shuffled(validation, rng));
    Dataset testSet = all.subset(task + "/test", shuffled(test, rng));
    return capped(new TaskSplits(task, trainSet, validationSet, testSet, null), options, seed);
  }

  /** Applies the caps of {@code options} to each split (stratified); a corpus is kept whole. */
  public static TaskSplits capped(TaskSplits splits, TaskOptions options, long seed) {
    String task = splits.task();
    return new TaskSplits(
        task,
        cap(splits.train(), options.maxTrain(), SeededRandom.derive(seed, task + "/cap/train")),
        cap(
            splits.validation(),
            options.maxValidation(),
            SeededRandom.derive(seed, task + "/cap/validation")),
        cap(splits.test(), options.maxTest(), SeededRandom.derive(seed, task + "/cap/test")),
        splits.corpus(),
        splits.taskLabels());
  }

  /**
   * At most {@code max} examples of {@code data}, keeping each class's share: class {@code c} of
   * {@code n_c} examples gets {@code floor(max * n_c / n)} places plus one of the leftover places,
   * which go to the largest remainders (ties: lower class index). When {@code max} is at least the
   * number of non-empty classes, every non-empty class keeps at least one example. The chosen
   * examples keep their order in {@code data}.
   */
  public static Dataset capStratified(Dataset data, int max, long seed) {
    return cap(data, max, SeededRandom.derive(seed, data.name() + "/cap"));
  }

  private static Dataset cap(Dataset data, int max, SeededRandom rng) {
    int n = data.size();
    if (max >= n) {
      return data;
    }
    int[] allocation = allocate(data.labelHistogram(), max);
    List<List<Integer>> byClass = indicesByClass(data);
    boolean[] keep = new boolean[n];
    for (int c = 0; c < byClass.size(); c++) {
      int[] idx = toArray(byClass.get(c));
      rng.shuffle(idx);
      for (int k = 0; k < allocation[c]; k++) {
        keep[idx[k]] = true;
      }
    }
    int[] chosen = new int[max];
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (keep[i]) {
        chosen[m++] = i;
      }
    }
    return data.subset(data.name(), Arrays.copyOf(chosen, m));
  }

  /** Largest-remainder allocation of {@code total} places in proportion to {@code counts}. */
  static int[] allocate(int[] counts, int total) {
    long n = 0;
    int present = 0;
    for (int c : counts) {
      n += c;
      if (c > 0) {
        present++;
      }
    }
    int[] alloc = new int[counts.length];
    if (n == 0 || total <= 0) {
      return alloc;
    }
    long[] remainder = new long[counts.length];
    int given = 0;
    for (int c = 0; c < counts.length; c++) {
      long num = (long) total * counts[c];
      alloc[c] = (int) (num / n);
      remainder[c] = num % n;
      given += alloc[c];
    }
    Integer[] order = new Integer[counts.length];
    for (int c = 0; c < order.length; c++) {
      order[c] = c;
    }
    Arrays.sort(
        order,
        (a, b) ->
            remainder[a] != remainder[b]
                ? Long.compare(remainder[b], remainder[a])
                : Integer.compare(a, b));
    for (int k = 0; given < total && k < order.length; k++) {
      int c = order[k];
      if (alloc[c] < counts[c]) {
        alloc[c]++;
        given++;
      }
    }
    if (total >= present) {
      for (int c = 0; c < counts.length; c++) {
        if (counts[c] > 0 && alloc[c] == 0) {
          int donor = -1;
          for (int d = 0; d < counts.length; d++) {
            if (alloc[d] > 1 && (donor < 0 || alloc[d] > alloc[donor])) {
              donor = d;
            }
          }
          alloc[donor]--;
          alloc[c]++;
        }
      }
    }
    return alloc;
  }

  /**
   * Drops duplicate texts: of examples with the same text and label the first is kept; a text that
   * occurs with different labels is dropped altogether (it cannot be classified, and a copy in test
   * would leak the answer). Order of first occurrence is kept.
   */
  static List<Example> dedupeByText(List<Example> examples) {
    Map<String, Example> first = new LinkedHashMap<>();
    Map<String, Boolean> conflicting = new HashMap<>();
    for (Example e : examples) {
      Example seen = first.putIfAbsent(e.text(), e);
      if (seen != null && !seen.label().equals(e.label())) {
        conflicting.put(e.text(), true);
      }
    }
    List<Example> out = new ArrayList<>(first.size());
    for (Example e : first.values()) {
      if (!conflicting.containsKey(e.text())) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * Keeps as many examples of each class as the smallest non-empty class has, chosen at random
   * (each class's members are shuffled with {@code rng}, in class order, and the first ones kept),
   * in their original order.
   */
  static Dataset balance(Dataset data, SeededRandom rng) {
    int smallest = Integer.MAX_VALUE;
    for (int count : data.labelHistogram()) {
      smallest = Math.min(smallest, count);
    }
    boolean[] keep = new boolean[data.size()];
    for (List<Integer> members : indicesByClass(data)) {
      int[] idx = toArray(members);
      rng.shuffle(idx);
      for (int k = 0; k < Math.min(smallest, idx.length); k++) {
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
    return data.subset(data.name(), Arrays.copyOf(chosen, m));
  }

  /** The examples of {@code examples} whose label has at least {@code min} examples, in order. */
  static List<Example> dropSmallClasses(List<Example> examples, int min) {
    Map<String, Integer> counts = new HashMap<>();
    for (Example e : examples) {
      counts.merge(e.label(), 1, Integer::sum);
    }
    List<Example> kept = new ArrayList<>(examples.size());
    for (Example e : examples) {
      if (counts.get(e.label()) >= min) {
        kept.add(e);
      }
    }
    return kept;
  }

  static List<List<Integer>> indicesByClass(Dataset data) {
    List<List<Integer>> byClass = new ArrayList<>();
    for (int c = 0; c < data.numLabels(); c++) {
      byClass.add(new ArrayList<>());
    }
    for (int i = 0; i < data.size(); i++) {
      byClass.get(data.labelIndex(i)).add(i);
    }
    return byClass;
  }

  static int[] toArray(List<Integer> list) {
    int[] a = new int[list.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = list.get(i);
    }
    return a;
  }

  private static int[] shuffled(List<Integer> list, SeededRandom rng) {
    int[] a = toArray(list);
    rng.shuffle(a);
    return a;
  }
}
