package org.fedpeft.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * Chooses the data of a run: a bundled task by name, or the user's own files (a training file,
 * optionally a test file; without one, the training file is split with the seed).
 */
public final class TaskSource {
  private TaskSource() {}

  /**
   * Loads splits.
   *
   * @param task a task spec for {@link Tasks#load}, used when {@code dataFile} is null
   * @param dataFile the user's training data (JSONL or CSV), or null
   * @param testFile the user's test data, or null to split {@code dataFile}
   * @param options split fractions and caps
   * @param seed the split seed
   */
  public static TaskSplits load(
      String task, Path dataFile, Path testFile, TaskOptions options, long seed)
      throws IOException {
    return load(task, dataFile, testFile, List.of(), options, seed);
  }

  /**
   * What the labels of loaded data are checked against.
   *
   * @param labels the labels in class order, or empty (the training data's)
   * @param whose how refusals name {@code labels} ({@link LabelCheck#listed(Dataset, List,
   *     String)})
   * @param training whether every label of the training file must be listed: a run's (it trains on
   *     them); not a trained model's evaluated on a test file, which scores that file alone (the
   *     caller checks a split of the training file that it scores)
   * @param hint appended to the refusal of a test label the training data lacks when {@code labels}
   *     is empty ({@link LabelCheck#requireKnown(String)}), or null
   * @param unlistedHint appended to the refusal of a label that {@code labels} does not list
   *     ({@link LabelCheck#listed(Dataset, List, String, String)}), or null
   */
  public record Labels(
      List<String> labels, String whose, boolean training, String hint, String unlistedHint) {
    /** Copies the list. */
    public Labels {
      labels = List.copyOf(labels);
    }

    /** A run's labels (empty: its training data's), without a hint. */
    public static Labels run(List<String> labels) {
      return new Labels(labels, LabelCheck.RUN_LABELS, true, null, null);
    }

    /** A trained model's labels, named {@code whose} in refusals; the training file's are free. */
    public static Labels model(List<String> labels, String whose) {
      return new Labels(labels, whose, false, null, null);
    }
  }

  /**
   * Loads splits, as {@link #load(String, Path, Path, List, TaskOptions, long)} with {@link
   * Labels#run}.
   *
   * @param labels the run's labels in class order, or empty
   */
  public static TaskSplits load(
      String task,
      Path dataFile,
      Path testFile,
      List<String> labels,
      TaskOptions options,
      long seed)
      throws IOException {
    return load(task, dataFile, testFile, Labels.run(labels), options, seed);
  }

  /**
   * Loads splits, as {@link #load(String, Path, Path, TaskOptions, long)}, for a run or model whose
   * labels are {@code known.labels()} (a config's {@code data.labels}, an adapter's; empty: the
   * labels of the data). The splits keep the data's own vocabulary (the caller indexes them by the
   * labels), except that a test file may hold a label that the labels list and the training data
   * lacks: then every split is indexed by the labels, or, when the training file has a label they
   * do not list, by the training data's own labels (in label order) followed by the listed labels
   * it lacks. The test file is capped to {@code options.maxTest()} in the order of that vocabulary,
   * which a run records with its adapter when it is not its labels ({@code
   * Population.Loaded#testCapOrder}). A label that the labels do not list is an error naming its
   * first line in that file: in the test file always, in the training file when {@code
   * known.training()}.
   */
  public static TaskSplits load(
      String task, Path dataFile, Path testFile, Labels known, TaskOptions options, long seed)
      throws IOException {
    List<String> labels = known.labels();
    if (dataFile == null) {
      if (testFile != null) {
        throw new IllegalArgumentException("a test file needs a training data file too");
      }
      return Tasks.load(task, seed, options);
    }
    Dataset all = DataFiles.read(dataFile);
    if (!labels.isEmpty() && known.training()) {
      // Names the file's first unlisted label, before any split.
      LabelCheck.listed(all, labels, known.whose(), known.unlistedHint());
    }
    String name = dataFile.getFileName().toString();
    if (testFile == null) {
      return Splits.stratified(name, all, options, seed);
    }
    Dataset test;
    List<String> vocabulary = all.labels();
    if (labels.isEmpty()) {
      test = DataFiles.readFor(testFile, all, known.hint());
    } else {
      Dataset read = DataFiles.read(testFile); // its vocabulary: the labels it has
      LabelCheck.listed(read, labels, known.whose(), known.unlistedHint());
      if (!new HashSet<>(all.labels()).containsAll(read.labels())) {
        // A listed label that the test file has and the training data lacks.
        if (new HashSet<>(labels).containsAll(all.labels())) {
          vocabulary = labels;
        } else {
          List<String> both = new ArrayList<>(all.labels());
          labels.stream().filter(l -> !all.labels().contains(l)).forEach(both::add);
          vocabulary = both;
        }
      }
      test = read.withLabels(vocabulary);
    }
    TaskOptions noTest =
        options.withFractions(1.0 - options.validationFraction(), options.validationFraction());
    TaskSplits trainVal = Splits.stratified(name, all, noTest, seed);
    Dataset capped =
        options.maxTest() < test.size()
            ? Splits.capStratified(test, options.maxTest(), seed)
            : test;
    return TaskSplits.testApart(
        name,
        trainVal.train().withLabels(vocabulary),
        trainVal.validation().withLabels(vocabulary),
        capped,
        null);
  }
}
