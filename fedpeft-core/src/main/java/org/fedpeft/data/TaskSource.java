package org.fedpeft.data;

import java.io.IOException;
import java.nio.file.Path;
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
   * Loads splits, as {@link #load(String, Path, Path, TaskOptions, long)}, for a run whose labels
   * are {@code labels} (a config's {@code data.labels}; empty: the labels of the data). The splits
   * keep the data's own vocabulary (the caller indexes them by {@code labels}), except that a test
   * file may hold a label that {@code labels} lists and the training data lacks: then every split
   * is indexed by {@code labels}. The test file is capped to {@code options.maxTest()} in the order
   * of that vocabulary, which a run records with its adapter when it is not {@code labels} ({@code
   * Population.Loaded#testCapOrder}). A label that {@code labels} does not list, in either file, is
   * an error naming its first line in that file.
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
    if (dataFile == null) {
      if (testFile != null) {
        throw new IllegalArgumentException("a test file needs a training data file too");
      }
      return Tasks.load(task, seed, options);
    }
    Dataset all = DataFiles.read(dataFile);
    if (!labels.isEmpty()) {
      LabelCheck.listed(all, labels); // names the file's first unlisted label, before any split
    }
    String name = dataFile.getFileName().toString();
    if (testFile == null) {
      return Splits.stratified(name, all, options, seed);
    }
    Dataset test;
    List<String> vocabulary = all.labels();
    if (labels.isEmpty()) {
      test = DataFiles.readFor(testFile, all);
    } else {
      Dataset read = DataFiles.read(testFile); // its vocabulary: the labels it has
      LabelCheck.listed(read, labels);
      if (!new HashSet<>(all.labels()).containsAll(read.labels())) {
        vocabulary = labels; // a listed label that the test file has and the training data lacks
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
