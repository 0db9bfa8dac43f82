package org.fedpeft.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.fedpeft.io.Words;

/**
 * The splits of a loaded task, or of several tasks loaded as one multi-task dataset. All splits
 * share one label vocabulary, so a class index means the same thing in each. Within a bundled task
 * no text of the test (or validation) split appears in train; the user's files may repeat one
 * ({@link #testTextsAlsoInTrain}).
 *
 * @param task the task name (for a multi-task dataset, the task specs joined by {@code +})
 * @param train the training split
 * @param validation the validation split (may be empty)
 * @param test the test split
 * @param corpus for retrieval tasks, the document collection: example {@code i} is the document
 *     with label index {@code i} (its text is what a nearest-neighbour baseline embeds); null for
 *     classification tasks and multi-task datasets
 * @param taskLabels each task's own label list, in task order: for one task, {@code task ->
 *     labels()}; for a multi-task dataset, every task's label vocabulary (a per-task head has one
 *     output per entry, in this order). Every example's label is in the list of its task ({@link
 *     Example#task()}, or {@code task} when the example has none).
 */
public record TaskSplits(
    String task,
    Dataset train,
    Dataset validation,
    Dataset test,
    Dataset corpus,
    Map<String, List<String>> taskLabels) {

  /**
   * Splits whose per-task label lists are derived: {@code task -> labels()} when no example names
   * another task; otherwise the examples are grouped by {@link Example#task()} (none counting as
   * {@code task}) and each group's labels listed in vocabulary order.
   */
  public TaskSplits(String task, Dataset train, Dataset validation, Dataset test, Dataset corpus) {
    this(task, train, validation, test, corpus, null);
  }

  /**
   * Splits whose test examples came from a file of their own: the tasks and each task's labels are
   * those of the training and validation examples alone, so a test example of a task they lack,
   * with a label its task's training examples never have, or without a {@code task} field where
   * they name their tasks (and the reverse) is refused, naming its line.
   *
   * @throws IllegalArgumentException naming the first such test example
   */
  public static TaskSplits testApart(
      String task, Dataset train, Dataset validation, Dataset test, Dataset corpus) {
    return new TaskSplits(task, train, validation, test, corpus, derive(task, train, validation));
  }

  /**
   * Checks that the splits share one vocabulary, that a corpus is aligned with it, and that every
   * example's label belongs to its task.
   */
  public TaskSplits {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(validation, "validation");
    Objects.requireNonNull(test, "test");
    if (!train.labels().equals(validation.labels()) || !train.labels().equals(test.labels())) {
      throw new IllegalArgumentException("splits of " + task + " must share one label vocabulary");
    }
    if (corpus != null) {
      if (!corpus.labels().equals(train.labels()) || corpus.size() != corpus.numLabels()) {
        throw new IllegalArgumentException(
            "the corpus of " + task + " must hold one document per label");
      }
      for (int i = 0; i < corpus.size(); i++) {
        if (corpus.labelIndex(i) != i) {
          throw new IllegalArgumentException(
              "corpus document " + i + " of " + task + " is not in label order");
        }
      }
    }
    taskLabels =
        taskLabels == null
            ? derive(task, train, validation, test)
            : check(task, taskLabels, train, validation, test);
  }

  /**
   * Test examples whose text (within their task) is also a training example's: none for a bundled
   * task, and for the user's files the duplicates that make test accuracy count seen examples.
   */
  public int testTextsAlsoInTrain() {
    Set<String> trained = new java.util.HashSet<>();
    for (Example e : train.examples()) {
      trained.add(e.task() + "\u0000" + e.text());
    }
    int n = 0;
    for (Example e : test.examples()) {
      if (trained.contains(e.task() + "\u0000" + e.text())) {
        n++;
      }
    }
    return n;
  }

  /**
   * A warning line when {@link #testTextsAlsoInTrain} is not zero, naming {@code source} (the
   * data's files); null otherwise.
   */
  public String duplicateTextWarning(String source) {
    int n = testTextsAlsoInTrain();
    return n == 0
        ? null
        : String.format(
            java.util.Locale.ROOT,
            "warning: %d of %d test %s of %s %s the text of a training example, so test"
                + " accuracy counts %s as seen (remove the duplicates for an unbiased figure)",
            n,
            test.size(),
            Words.plural(test.size(), "example"),
            source,
            n == 1 ? "has" : "have",
            n == 1 ? "it" : "them");
  }

  private static Map<String, List<String>> derive(String task, Dataset... splits) {
    Map<String, Set<String>> seen = new LinkedHashMap<>();
    for (Dataset d : splits) {
      for (Example e : d.examples()) {
        String t = e.task() == null ? task : e.task();
        seen.computeIfAbsent(t, k -> new HashSet<>()).add(e.label());
      }
    }
    List<String> vocabulary = splits[0].labels();
    if (seen.isEmpty() || (seen.size() == 1 && seen.containsKey(task))) {
      return Map.of(task, vocabulary);
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    List<String> order = new ArrayList<>(seen.keySet());
    order.sort(Dataset.labelOrder(order));
    for (String t : order) {
      List<String> labels = new ArrayList<>();
      for (String label : vocabulary) {
        if (seen.get(t).contains(label)) {
          labels.add(label);
        }
      }
      out.put(t, List.copyOf(labels));
    }
    return Collections.unmodifiableMap(out);
  }

  private static Map<String, List<String>> check(
      String task, Map<String, List<String>> given, Dataset... splits) {
    if (given.isEmpty()) {
      throw new IllegalArgumentException("the per-task label lists of " + task + " are empty");
    }
    Set<String> vocabulary = new HashSet<>(splits[0].labels());
    Map<String, List<String>> out = new LinkedHashMap<>();
    Map<String, Set<String>> sets = new HashMap<>();
    for (Map.Entry<String, List<String>> e : given.entrySet()) {
      List<String> labels = List.copyOf(e.getValue());
      Set<String> set = new LinkedHashSet<>(labels);
      if (set.size() != labels.size()) {
        throw new IllegalArgumentException(
            "task " + e.getKey() + " of " + task + " lists a label twice: " + labels);
      }
      for (String label : labels) {
        if (!vocabulary.contains(label)) {
          throw new IllegalArgumentException(
              "label \""
                  + label
                  + "\" of task "
                  + e.getKey()
                  + " is not in the vocabulary of "
                  + task);
        }
      }
      out.put(e.getKey(), labels);
      sets.put(e.getKey(), set);
    }
    for (Dataset d : splits) {
      for (int i = 0; i < d.size(); i++) {
        Example e = d.example(i);
        String t = e.task() == null ? task : e.task();
        Set<String> labels = sets.get(t);
        if (labels == null) {
          throw new IllegalArgumentException(d.location(i) + ": " + unknownTask(e, task, out));
        }
        if (!labels.contains(e.label())) {
          throw new IllegalArgumentException(
              d.location(i) + ": label \"" + e.label() + "\" is not a label of task " + t);
        }
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Why example {@code e} has no task among {@code tasks}: no {@code task} field where the tasks
   * are named, a task where none is ({@code tasks} holds only the default name {@code task}), or a
   * task that is not one of them.
   */
  static String unknownTask(Example e, String task, Map<String, ?> tasks) {
    if (e.task() == null) {
      return "no \"task\" field, but the training examples name their tasks " + tasks.keySet();
    }
    if (tasks.size() == 1 && tasks.containsKey(task)) {
      return "task \""
          + e.task()
          + "\", but the training examples name no task (no \"task\" field)";
    }
    return "task \"" + e.task() + "\" is not one of the training examples' tasks " + tasks.keySet();
  }

  /**
   * Refuses data a classifier cannot learn from: a task (the only one, or one of several) with
   * fewer than two labels, whose head would be right whatever it learned.
   *
   * @param source how the user named the data (a file, a task spec), for the message
   * @throws IllegalArgumentException naming {@code source}, the task and its label
   */
  public void requireTwoLabelsPerTask(String source) {
    for (Map.Entry<String, List<String>> e : taskLabels.entrySet()) {
      if (e.getValue().size() < 2) {
        throw new IllegalArgumentException(
            source
                + ": "
                + (taskLabels.size() == 1 ? "every example has" : "task " + e.getKey() + " has")
                + " the same label"
                + (e.getValue().isEmpty() ? "" : " (\"" + e.getValue().get(0) + "\")")
                + "; a classifier needs at least two labels"
                + (taskLabels.size() == 1 ? "" : " per task"));
      }
    }
  }

  /** The shared label vocabulary. */
  public List<String> labels() {
    return train.labels();
  }

  /** The names of the tasks, in order (one for a single task). */
  public List<String> tasks() {
    return List.copyOf(taskLabels.keySet());
  }

  /** True when the splits hold more than one task. */
  public boolean isMultiTask() {
    return taskLabels.size() > 1;
  }

  /**
   * The splits of one task, indexed by that task's own labels ({@link #taskLabels()}); for a
   * single-task split, this split itself. Examples keep their order; the corpus is kept only when
   * the split holds one task.
   *
   * @throws IllegalArgumentException naming the tasks there are if {@code name} is not one
   */
  public TaskSplits taskView(String name) {
    List<String> labels = taskLabels.get(name);
    if (labels == null) {
      throw new IllegalArgumentException(
          "no task \"" + name + "\" in " + task + "; its tasks are " + taskLabels.keySet());
    }
    if (!isMultiTask()) {
      return this;
    }
    return new TaskSplits(
        name,
        only(train, name, labels),
        only(validation, name, labels),
        only(test, name, labels),
        null,
        Map.of(name, labels));
  }

  private Dataset only(Dataset d, String name, List<String> labels) {
    List<Example> kept = new ArrayList<>();
    for (Example e : d.examples()) {
      if (name.equals(e.task() == null ? task : e.task())) {
        kept.add(e);
      }
    }
    String split = d.name().substring(d.name().lastIndexOf('/') + 1);
    return Dataset.of(name + "/" + split, kept, labels);
  }

  /** The retrieval corpus, for retrieval tasks. */
  public Optional<Dataset> retrievalCorpus() {
    return Optional.ofNullable(corpus);
  }
}
