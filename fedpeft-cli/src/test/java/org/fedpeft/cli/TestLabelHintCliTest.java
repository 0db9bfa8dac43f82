package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run without data.labels whose data.test has a label its training data lacks: the refusal names
 * the line and the label and says that listing the run's labels in data.labels would make it a
 * class, with either data.split (it gave no hint before, and with data.split = "none" read "not one
 * of the run's labels" although the run listed none).
 */
class TestLabelHintCliTest {

  @TempDir Path tmp;

  @Test
  void aTestLabelNotInTrainingPointsAtDataLabels() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      rows.add(new String[] {"topic " + (i % 3) + " text " + i, "t" + (i % 3)});
    }
    Path train = CliRun.jsonl(tmp.resolve("train.jsonl"), rows);
    Path test =
        CliRun.jsonl(
            tmp.resolve("test.jsonl"),
            List.of(new String[] {"topic 0", "t0"}, new String[] {"something else", "t9"}));
    for (String split : List.of("stratified", "none")) {
      CliRun.Result r =
          CliRun.smallSimulate(
              tmp.resolve(split + ".toml"),
              tmp.resolve("out-" + split),
              model,
              train,
              "[adapter]\nmethod = \"lora\"\nrank = 2\n",
              "data.test=" + test,
              "data.split=" + split);
      assertEquals(2, r.code(), split + ": " + r.err());
      assertEquals(
          "fedpeft simulate: "
              + test
              + ":2: unknown label \"t9\" (not in training); to evaluate it as a class that no"
              + " training example has, list the run's labels in data.labels\n",
          r.err(),
          split);
    }
  }
}
