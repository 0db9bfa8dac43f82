package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: train's periodic evaluations (--eval-every) and its final test evaluation drew no
 * progress, so on a large validation or test split the step bar stood still for minutes. They draw
 * eval's delayed bar, labelled {@code eval} with the split (and step) it evaluates; here its
 * interval is 0 (a line at every batch off a terminal) or a time no test reaches (no eval bar), and
 * standard output and metrics.jsonl are the same either way.
 */
class TrainEvalProgressCliTest {

  @TempDir static Path dir;
  static Path model;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(dir.resolve("model"));
    data = CliRun.animalsAndFood(dir.resolve("train.jsonl"), 20);
  }

  private static CliRun.Result train(Path out, long interval) {
    long before = ProgressBar.lineIntervalNanos;
    try {
      ProgressBar.lineIntervalNanos = interval;
      return CliRun.run(
          "train",
          "--model",
          model.toString(),
          "--data",
          data.toString(),
          "--steps",
          "2",
          "--eval-every",
          "1",
          "--out",
          out.toString());
    } finally {
      ProgressBar.lineIntervalNanos = before;
    }
  }

  /** The eval bar's lines on standard error, without the bar itself and the times. */
  private static List<String> evalBar(String err) {
    return err.lines()
        .filter(l -> l.startsWith("eval ["))
        .map(
            l ->
                l.replaceFirst("^eval \\[[=> ]{24}\\] \\d+/\\d+ ", "")
                    .replaceAll(" +", " ")
                    .replaceFirst(" (ETA|took) (\\d+:\\d\\d|--:--)$", " $1"))
        .toList();
  }

  private static String stable(String out, String folder) {
    return out.replace(dir.resolve(folder).toString(), "RUN")
        .replaceAll(" in \\d+ s\n", " in N s\n");
  }

  @Test
  void theEvaluationsDrawTheirProgressAndChangeNoOutput() throws Exception {
    CliRun.Result withBar = train(dir.resolve("bar"), 0);
    CliRun.Result quiet = train(dir.resolve("quiet"), ProgressBarTest.NEVER);
    assertEquals(0, withBar.code(), withBar.err());
    assertEquals(0, quiet.code(), quiet.err());
    List<String> lines = evalBar(withBar.err());
    // Each evaluation ends with its "took" line: validation after steps 1 and 2, then the test.
    assertEquals(
        List.of("validation at step 1 took", "validation at step 2 took", "test took"),
        lines.stream().filter(l -> l.endsWith(" took")).toList(),
        withBar.err());
    assertFalse(quiet.err().contains("eval ["), quiet.err());
    // The same but for the run folder and the time taken.
    assertEquals(
        stable(quiet.out(), "quiet"),
        stable(withBar.out(), "bar"),
        "standard output with and without the eval bar");
    assertEquals(
        Files.readString(dir.resolve("quiet").resolve("metrics.jsonl")),
        Files.readString(dir.resolve("bar").resolve("metrics.jsonl")),
        "metrics.jsonl with and without the eval bar");
  }
}
