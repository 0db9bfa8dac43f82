package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of a user's data files with the methods, 4 December (docs/data.md, "The user's own data"): a
 * CSV with a byte-order mark, CR LF line ends and quoted commas, quotes and line breaks, with a
 * client holding one example and one holding one class, under FedDPA's local LoRA and FedBE's
 * label-based allocation; a test label the training data lacks. Found: {@code data.labels} lists a
 * label that may have no example, and with {@code data.split = "none"} a {@code data.test} example
 * of such a label was evaluated, but with the default stratified split it was refused as "not in
 * training"; a training label that data.labels does not list was named at a line of the seeded
 * training split, not the file's first.
 */
class UserDataMethodsCliTest {

  @TempDir static Path tmp;
  static Path model;
  static Path train;

  @BeforeAll
  static void data() throws Exception {
    model = CliRun.tinyModelFolder(tmp.resolve("model"));
    List<String[]> rows = new ArrayList<>();
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim"};
    for (int i = 0; i < 30; i++) {
      rows.add(new String[] {topics[i % 3] + " " + i, "t" + (i % 3)});
    }
    train = CliRun.jsonl(tmp.resolve("train.jsonl"), rows);
  }

  private static int runs;

  private static CliRun.Result simulate(Path file, String toml, String... sets) throws Exception {
    ++runs;
    return CliRun.smallSimulate(
        tmp.resolve("run" + runs + ".toml"), tmp.resolve("out" + runs), model, file, toml, sets);
  }

  private static JsonObject summary() throws Exception {
    return JsonParser.parseString(
            Files.readString(tmp.resolve("out" + runs).resolve("summary.json")))
        .getAsJsonObject();
  }

  private static Path testWithLabel(String name, String label) throws Exception {
    return CliRun.jsonl(
        tmp.resolve(name),
        List.of(
            new String[] {"fruit apple", "t0"},
            new String[] {"a thing of its own", label},
            new String[] {"tool saw", "t1"}));
  }

  // The bug: refused as "unknown label "t9" (not in training)" although data.labels lists it.
  @Test
  void aListedLabelThatOnlyTheTestFileHasIsEvaluated() throws Exception {
    Path test = testWithLabel("listed.jsonl", "t9");
    for (String split : List.of("stratified", "none")) {
      CliRun.Result r =
          simulate(
              train,
              "[adapter]\nmethod = \"lora\"\nrank = 2\n",
              "data.test=" + test,
              "data.labels=t0,t1,t2,t9",
              "data.split=" + split);
      assertEquals(0, r.code(), split + ": " + r.err());
      JsonObject s = summary();
      assertEquals(3, s.get("test_examples").getAsInt(), split + ": " + s);
      assertTrue(Double.isFinite(s.get("final_loss").getAsDouble()), split + ": " + s);
    }
  }

  // eval --data --test of such an adapter refused the test file as "not in training", while eval
  // --test alone took it.
  @Test
  void evalOfSuchAnAdapterTakesTheTestFileWithOrWithoutItsData() throws Exception {
    Path test = testWithLabel("listed-eval.jsonl", "t9");
    CliRun.Result r =
        simulate(
            train,
            "[adapter]\nmethod = \"lora\"\nrank = 2\n",
            "data.test=" + test,
            "data.labels=t9,t0,t1,t2");
    assertEquals(0, r.code(), r.err());
    String adapter = tmp.resolve("out" + runs).resolve("adapter").toString();
    CliRun.Result alone =
        CliRun.run("eval", adapter, "--model", model.toString(), "--test", test.toString());
    assertEquals(0, alone.code(), alone.err());
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
    assertEquals(0, withData.code(), withData.err());
    assertEquals(
        alone.out(),
        withData.out().replace(" of " + train + " (test: " + test + ")", " of " + test));
  }

  @Test
  void aTestLabelThatDataLabelsDoesNotListIsRefusedAtItsLine() throws Exception {
    Path test = testWithLabel("unlisted.jsonl", "t7");
    for (String split : List.of("stratified", "none")) {
      CliRun.Result r =
          simulate(
              train,
              "[adapter]\nmethod = \"lora\"\nrank = 2\n",
              "data.test=" + test,
              "data.labels=t0,t1,t2,t9",
              "data.split=" + split);
      assertEquals(2, r.code(), r.err());
      assertEquals(
          "fedpeft simulate: "
              + test
              + ":2: label \"t7\" is not one of the run's labels [t0, t1, t2, t9]; add the label"
              + " to data.labels (a class of the run), or remove or relabel the example\n",
          r.err(),
          split);
    }
  }

  // Checked on the training split only, after the seeded split: a line of those the split left in
  // train was named, and the others not counted.
  @Test
  void anUnlistedTrainingLabelIsNamedAtItsFirstLineInTheFile() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(train));
    for (int line : new int[] {3, 12, 21}) {
      lines.add(line - 1, "{\"text\": \"odd one " + line + "\", \"label\": \"x\"}");
    }
    Path file = Files.write(tmp.resolve("unlisted-train.jsonl"), lines);
    CliRun.Result r =
        simulate(file, "[adapter]\nmethod = \"lora\"\nrank = 2\n", "data.labels=t0,t1,t2");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft simulate: "
            + file
            + ":3: label \"x\" is not one of the run's labels [t0, t1, t2]; 2 more such examples;"
            + " add the label to data.labels (a class of the run), or remove or relabel the"
            + " example\n",
        r.err());
  }

  @Test
  void withoutDataLabelsATestLabelTheTrainingDataLacksIsRefusedAtItsLine() throws Exception {
    Path test = testWithLabel("unseen.jsonl", "t9");
    CliRun.Result r =
        simulate(train, "[adapter]\nmethod = \"lora\"\nrank = 2\n", "data.test=" + test);
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft simulate: "
            + test
            + ":2: unknown label \"t9\" (not in training); to evaluate it as a class that no"
            + " training example has, list the run's labels in data.labels\n",
        r.err());
  }

  /**
   * A spreadsheet's CSV: byte-order mark, CR LF, quoted commas, doubled quotes and a line break in
   * a field; a natural partition by its client column, where client "solo" has one example and
   * client "mono" one class. The seeded split would leave "solo" nothing to train on, which is
   * refused naming its line; every example trains with data.split = "none" and a test file.
   */
  @Test
  void aSpreadsheetCsvWithSmallClientsRunsUnderEveryLocalMethod() throws Exception {
    StringBuilder csv = new StringBuilder("\uFEFFText,Label,Client\r\n");
    String[] topics = {"\"fruit, apple\"", "\"tool \"\"hammer\"\" saw\"", "\"sport\r\nrun\""};
    for (int i = 0; i < 24; i++) {
      csv.append(topics[i % 3]).append(",t").append(i % 3).append(",many\r\n");
    }
    for (int i = 0; i < 6; i++) {
      csv.append("\"pear, plum ").append(i).append("\",t0,mono\r\n");
    }
    csv.append("\"a lone \"\"saw\"\"\",t1,solo\r\n"); // line 40: 8 records above span two lines
    Path file = Files.writeString(tmp.resolve("sheet.csv"), csv.toString());
    CliRun.Result split =
        simulate(
            file,
            "[adapter]\nmethod = \"lora\"\nrank = 2\n",
            "data.partition=natural:client",
            "clients=3",
            "clients_per_round=3");
    assertEquals(2, split.code(), split.err());
    assertTrue(
        split
            .err()
            .startsWith(
                "fedpeft simulate: "
                    + file
                    + ":40: client \"solo\" has no example in the training split"),
        split.err());
    assertTrue(split.err().contains("use data.split = \"none\" with a test file"), split.err());
    Path test = testWithLabel("sheet-test.jsonl", "t2");
    String[][] methods = {
      {"feddpa T", "[adapter]\nmethod = \"feddpa\"\nrank = 2\n", "client.local_steps=4"},
      {"feddpa F", "[adapter]\nmethod = \"feddpa\"\nvariant = \"F\"\nrank = 2\n", ""},
      {
        "fedbe coverage",
        "[adapter]\nmethod = \"fedbe\"\nblocks = 2\n[server]\nstrategy = \"fedbe\"\n",
        "client.budgets=0.5"
      },
    };
    for (String[] m : methods) {
      List<String> sets =
          new ArrayList<>(
              List.of(
                  "data.partition=natural:client",
                  "clients=3",
                  "clients_per_round=3",
                  "data.split=none",
                  "data.test=" + test));
      if (!m[2].isEmpty()) {
        sets.add(m[2]);
      }
      CliRun.Result r = simulate(file, m[1], sets.toArray(new String[0]));
      assertEquals(0, r.code(), m[0] + ": " + r.err());
      double accuracy = summary().get("final_accuracy").getAsDouble();
      assertTrue(accuracy >= 0 && accuracy <= 1, m[0] + ": " + accuracy);
    }
  }
}
