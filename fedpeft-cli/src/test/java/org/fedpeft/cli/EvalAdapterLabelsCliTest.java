package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval ADAPTER} checks the labels of the examples it scores against the adapter's, naming
 * the file, line and label as not one of "the adapter's labels": a label of the {@code --data} file
 * that the adapter lacks does not matter when that file's examples are not scored ({@code --test
 * FILE}), and was refused as "not one of the run's labels" before.
 */
class EvalAdapterLabelsCliTest {

  @TempDir static Path tmp;
  static CliRun.TinyRun run;
  static Path test;

  @BeforeAll
  static void adapter() throws Exception {
    run = CliRun.tinyTrainedAdapter(tmp); // labels animal and food
    test =
        CliRun.jsonl(
            tmp.resolve("test.jsonl"),
            List.of(
                new String[] {"a big animal", "animal"},
                new String[] {"a dish of food", "food"},
                new String[] {"another animal", "animal"}));
  }

  private static CliRun.Result eval(String... args) {
    List<String> all =
        new ArrayList<>(
            List.of("eval", run.adapter().toString(), "--model", run.model().toString()));
    all.addAll(List.of(args));
    return CliRun.run(all.toArray(new String[0]));
  }

  /** The adapter's training file with {@code extra} rows of the label "weather" after line 2. */
  private static Path dataWithWeather(String name, int extra) throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(run.data()));
    for (int i = 0; i < extra; i++) {
      lines.add(2 + i, "{\"text\": \"rain and wind " + i + "\", \"label\": \"weather\"}");
    }
    return Files.write(tmp.resolve(name), lines);
  }

  @Test
  void aDataLabelTheAdapterLacksDoesNotMatterWithATestFile() throws Exception {
    Path data = dataWithWeather("data-weather.jsonl", 1);
    CliRun.Result alone = eval("--test", test.toString());
    assertEquals(0, alone.code(), alone.err());
    CliRun.Result withData = eval("--data", data.toString(), "--test", test.toString());
    assertEquals(0, withData.code(), withData.err());
    assertEquals(
        alone.out(),
        withData.out().replace(" of " + data + " (test: " + test + ")", " of " + test));
  }

  @Test
  void aScoredLabelTheAdapterLacksIsRefusedNamingFileLineAndLabel() throws Exception {
    Path badTest =
        CliRun.jsonl(
            tmp.resolve("test-weather.jsonl"),
            List.of(
                new String[] {"a big animal", "animal"},
                new String[] {"rain and wind", "weather"},
                new String[] {"a dish of food", "food"}));
    String expected =
        "fedpeft eval: "
            + badTest
            + ":2: label \"weather\" is not one of the adapter's labels [animal, food]\n";
    CliRun.Result alone = eval("--test", badTest.toString());
    assertEquals(2, alone.code(), alone.err());
    assertEquals(expected, alone.err());
    CliRun.Result withData = eval("--data", run.data().toString(), "--test", badTest.toString());
    assertEquals(2, withData.code(), withData.err());
    // After the note on the split seed, which --data makes eval print.
    assertTrue(withData.err().endsWith("\n" + expected), withData.err());
  }

  /** Without --test, the split of --data that is scored is checked, naming a line of it. */
  @Test
  void aLabelTheAdapterLacksInTheScoredSplitOfTheDataIsRefused() throws Exception {
    Path data = dataWithWeather("data-many-weather.jsonl", 20);
    for (String split : List.of("test", "validation")) {
      CliRun.Result r = eval("--data", data.toString(), "--split", split);
      assertEquals(2, r.code(), split + ": " + r.err());
      assertTrue(
          r.err()
              .matches(
                  "(?s).*\\Q"
                      + data
                      + ":\\E\\d+: label \"weather\" is not one of the adapter's labels \\[animal,"
                      + " food\\].*"),
          split + ": " + r.err());
    }
  }
}
