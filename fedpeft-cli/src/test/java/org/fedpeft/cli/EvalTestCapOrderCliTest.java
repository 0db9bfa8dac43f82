package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.peft.AdapterFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose data.labels lists the labels in another order than the training data's (sorted) one,
 * with a test file that data.max_eval caps: the run caps the test file in the training data's label
 * order (TaskSource.load), so {@code eval ADAPTER --test FILE} must cap it in that order too, not
 * in the adapter's, to score the examples the run scored (review, 4 December: 5 of 12 examples, run
 * accuracy 0.2000 and eval 0.4000 before the adapter recorded the order).
 */
class EvalTestCapOrderCliTest {

  @TempDir Path tmp;

  private static final String[] TOPICS = {"fruit apple pear", "tool hammer saw", "sport run swim"};

  @Test
  void evalWithTheTestFileAloneScoresTheSubsetTheRunScored() throws Exception {
    List<String[]> testRows = new ArrayList<>();
    int[] perClass = {5, 4, 3};
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < perClass[c]; i++) {
        testRows.add(new String[] {TOPICS[c] + " x" + c + i, "t" + c});
      }
    }
    Path adapter = runAndCheckEval("[\"t2\", \"t0\", \"t1\"]", testRows);
    Path json = adapter.resolve(AdapterFiles.CONFIG_FILE);
    JsonObject c = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    // The training data's own (sorted) vocabulary, in which TaskSource.load capped the test file.
    assertEquals(
        "[\"t0\",\"t1\",\"t2\"]",
        c.getAsJsonObject("extra").get(AdapterFiles.TEST_CAP_LABEL_ORDER).toString());

    // A damaged record of the order is refused, naming the file and the field.
    JsonArray order = new JsonArray();
    order.add("t0");
    order.add("t7");
    c.getAsJsonObject("extra").add(AdapterFiles.TEST_CAP_LABEL_ORDER, order);
    Files.writeString(json, c.toString());
    Path model = tmp.resolve("model");
    Path test = tmp.resolve("test.jsonl");
    CliRun.Result damaged =
        CliRun.run(
            "eval", adapter.toString(), "--model", model.toString(), "--test", test.toString());
    assertEquals(2, damaged.code(), damaged.err());
    assertTrue(
        damaged.err().contains(json.toString())
            && damaged.err().contains("extra." + AdapterFiles.TEST_CAP_LABEL_ORDER)
            && damaged.err().contains("t7"),
        damaged.err());
  }

  /**
   * A test file with a label of data.labels that the training data lacks: the run capped it in
   * data.labels' order, the adapter's, so the adapter records no other order (coverage: passes on
   * the old code too).
   */
  @Test
  void aTestLabelTheTrainingDataLacksCapsInTheAdaptersOrder() throws Exception {
    List<String[]> testRows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      testRows.add(new String[] {TOPICS[i % 3] + " x" + i, "t" + (i % 3)});
    }
    testRows.add(new String[] {"a thing of its own", "t9"});
    Path adapter = runAndCheckEval("[\"t2\", \"t9\", \"t0\", \"t1\"]", testRows);
    JsonObject c =
        JsonParser.parseString(Files.readString(adapter.resolve(AdapterFiles.CONFIG_FILE)))
            .getAsJsonObject();
    assertFalse(c.getAsJsonObject("extra").has(AdapterFiles.TEST_CAP_LABEL_ORDER), c.toString());
  }

  /**
   * Simulates a run on 30 training rows of labels t0 to t2, the test file {@code testRows}, {@code
   * data.labels = labels} and {@code data.max_eval = 5}, then checks that {@code eval --test} alone
   * and with {@code --data} print the run's final test accuracy and loss on 5 examples.
   *
   * @return the run's adapter folder
   */
  private Path runAndCheckEval(String labels, List<String[]> testRows) throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(new String[] {TOPICS[i % 3] + " " + i, "t" + (i % 3)});
    }
    Path train = CliRun.jsonl(tmp.resolve("train.jsonl"), rows);
    Path test = CliRun.jsonl(tmp.resolve("test.jsonl"), testRows);
    return CliRun.assertEvalScoresAsTheRun(
        tmp, "run", model, train, test, "labels = " + labels + "\nmax_eval = 5", 5);
  }
}
