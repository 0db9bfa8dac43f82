package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
      Path out = tmp.resolve("out-" + split);
      Path config =
          Files.writeString(
              tmp.resolve(split + ".toml"),
              """
              seed = 3
              rounds = 2
              clients = 2
              clients_per_round = 2

              [data]
              file = "%s"
              test = "%s"
              labels = ["t2", "t9", "t0", "t1"]
              split = "%s"

              [model]
              name = "%s"

              [client]
              local_steps = 3
              batch_size = 4
              learning_rate = 0.01
              parallel = 1

              [adapter]
              method = "lora"
              rank = 2
              """
                  .formatted(
                      train.toString().replace("\\", "\\\\"),
                      test.toString().replace("\\", "\\\\"),
                      split,
                      model.toString().replace("\\", "\\\\")));
      CliRun.Result r = CliRun.run("simulate", config.toString(), "--out", out.toString());
      assertEquals(0, r.code(), split + ": " + r.err());
      JsonObject s =
          JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
      String expected =
          String.format(
              Locale.ROOT,
              "test accuracy: %.4f (loss %.4f, 9 examples of ",
              s.get("final_accuracy").getAsDouble(),
              s.get("final_loss").getAsDouble());
      String adapter = out.resolve("adapter").toString();
      CliRun.Result alone =
          CliRun.run("eval", adapter, "--model", model.toString(), "--test", test.toString());
      assertEquals(0, alone.code(), split + ": " + alone.err());
      assertEquals(expected, alone.out().substring(0, expected.length()), split + ": alone");
      CliRun.Result withData =
          CliRun.run(
              "eval",
              adapter,
              "--model",
              model.toString(),
              "--data",
              train.toString(),
              "--test",
              test.toString());
      assertEquals(0, withData.code(), split + ": " + withData.err());
      assertEquals(
          expected, withData.out().substring(0, expected.length()), split + ": with --data");
    }
  }
}
