package org.fedpeft.data;

import java.io.IOException;
import java.nio.file.Path;

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
    if (dataFile == null) {
      if (testFile != null) {
        throw new IllegalArgumentException("a test file needs a training data file too");
      }
      return Tasks.load(task, seed, options);
    }
    Dataset all = DataFiles.read(dataFile);
    String name = dataFile.getFileName().toString();
    if (testFile == null) {
      return Splits.stratified(name, all, options, seed);
    }
    Dataset test = DataFiles.readFor(testFile, all);
    TaskOptions noTest =
        options.withFractions(1.0 - options.validationFraction(), options.validationFraction());
    TaskSplits trainVal = Splits.stratified(name, all, noTest, seed);
    Dataset capped =
        options.maxTest() < test.size()
            ? Splits.capStratified(test, options.maxTest(), seed)
            : test;
    return TaskSplits.testApart(name, trainVal.train(), trainVal.validation(), capped, null);
  }
}
