package org.fedpeft.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose data.labels lists the labels in another order than the data's (sorted) one, with a
 * label only its test file has: the head is trained with the classes in data.labels' order, and
 * {@code eval} of its adapter, with the test file alone or with the training file too, must score
 * the same test examples with the same classes, so its test accuracy and loss equal the run's final
 * ones. A class order that differed between the run and eval would permute the head's outputs and
 * change the loss (review, 4 December: checked, none differs; this pins it for both data.split
 * values).
 */
class DataLabelsClassOrderCliTest {

  @TempDir Path tmp;

  @Test
  void evalScoresTheTestSplitAsTheRunDid() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim"};
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(new String[] {topics[i % 3] + " " + i, "t" + (i % 3)});
    }
    Path train = CliRun.jsonl(tmp.resolve("train.jsonl"), rows);
    List<String[]> testRows = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      testRows.add(new String[] {topics[i % 3] + " x" + i, "t" + (i % 3)});
    }
    testRows.add(new String[] {"a thing of its own", "t9"});
    Path test = CliRun.jsonl(tmp.resolve("test.jsonl"), testRows);
    for (String split : List.of("stratified", "none")) {
      CliRun.assertEvalScoresAsTheRun(
          tmp,
          split,
          model,
          train,
          test,
          "labels = [\"t2\", \"t9\", \"t0\", \"t1\"]\nsplit = \"" + split + "\"",
          9);
    }
  }
}
