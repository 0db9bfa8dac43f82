package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.privacy.RdpAccountant;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DP-SGD {@code train} never shows the evaluation of a model that a resume draws again: killed
 * with SIGKILL right after the evaluation line of a step is written ({@code
 * train-step-N-after-evaluation}) and resumed, the run keeps every metrics line the killed process
 * wrote as it was (the default secure noise is fresh on resume, so a step drawn again would give
 * another validation loss), and timings.jsonl has one line per evaluated step. Covers a periodic
 * evaluation between checkpoints ({@code --eval-every 3}, {@code --checkpoint-every 4}), the last
 * step's, and the evaluation after a stop by the privacy budget.
 */
@Timeout(600)
class DpTrainReleaseKillResumeCliTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void fixtures() throws Exception {
    model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim", "sea fish boat"};
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      rows.add(new String[] {topics[i % 4] + " number " + i, "t" + (i % 4)});
    }
    data = CliRun.jsonl(tmp.resolve("data.jsonl"), rows);
  }

  @Test
  void anEvaluatedStepIsNotDrawnAgainOnResume() throws Exception {
    Path dir = tmp.resolve("eval-every");
    List<String> released =
        killAt(
            "train-step-6-after-evaluation",
            args(dir, "--steps", "8", "--checkpoint-every", "4", "--eval-every", "3"));
    assertEquals(List.of("validation 3", "validation 6"), events(released));
    // Resumed, and killed again after the last step's evaluation.
    List<String> last = killAt("train-step-8-after-evaluation", resume(dir));
    assertKept(released, last, "killed after the evaluation of step 6");
    assertEquals(List.of("validation 3", "validation 6", "validation 8"), events(last));
    CliRun.Result r = CliRun.run(resume(dir).toArray(new String[0]));
    assertEquals(0, r.code(), r.err());
    List<String> after = Files.readAllLines(dir.resolve("metrics.jsonl"));
    assertKept(last, after, "killed after the evaluation of step 8");
    assertEquals(List.of("validation 3", "validation 6", "validation 8", "test 8"), events(after));
    assertEquals(List.of(3, 6, 8), timingSteps(dir));
  }

  @Test
  void theEvaluationAfterABudgetStopIsNotDrawnAgainOnResume() throws Exception {
    Path dir = tmp.resolve("budget");
    List<String> released =
        killAt(
            "train-step-8-after-evaluation",
            args(
                dir,
                "--steps",
                "20",
                "--checkpoint-every",
                "5",
                "--eval-every",
                "0",
                "--dp-epsilon",
                Double.toString(epsilonBetweenSteps(8))));
    assertEquals(List.of("validation 8"), events(released));
    CliRun.Result r = CliRun.run(resume(dir).toArray(new String[0]));
    assertEquals(0, r.code(), r.err());
    List<String> after = Files.readAllLines(dir.resolve("metrics.jsonl"));
    assertKept(released, after, "killed after the evaluation of the budget stop's step 8");
    assertEquals(List.of("validation 8", "test 8"), events(after));
    assertEquals(List.of(8), timingSteps(dir));
  }

  /** A DP-SGD train of the tiny model with secure noise (sigma 1), options {@code more}. */
  private static List<String> args(Path out, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--batch-size",
                "8",
                "--lr",
                "5e-3",
                "--dp-noise",
                "1.0",
                "--out",
                out.toString()));
    a.addAll(List.of(more));
    return a;
  }

  private static List<String> resume(Path dir) {
    return List.of("train", "--resume", dir.toString());
  }

  /**
   * Runs {@code args} in a JVM armed at {@code point}, kills it (SIGKILL) once it holds there, and
   * returns the metrics.jsonl it left.
   */
  private static List<String> killAt(String point, List<String> args) throws Exception {
    try (Spawned child = Spawned.fedpeft(point, Map.of(PausePoint.PROPERTY, point), args)) {
      child.awaitLine(PausePoint.message(point));
      child.kill();
    }
    int out = args.indexOf("--out");
    Path dir = Path.of(args.get(out >= 0 ? out + 1 : args.indexOf("--resume") + 1));
    List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
    assertFalse(lines.isEmpty(), point);
    return lines;
  }

  /** {@code after} starts with every line in {@code before}, each as it was. */
  private static void assertKept(List<String> before, List<String> after, String when) {
    assertEquals(
        before,
        after.subList(0, Math.min(before.size(), after.size())),
        when
            + ": a line the killed process wrote was written again with other values, so the"
            + " resumed run drew that step's noisy model again");
  }

  /** "event step" of each line. */
  private static List<String> events(List<String> lines) {
    List<String> events = new ArrayList<>();
    for (String line : lines) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      events.add(o.get("event").getAsString() + " " + o.get("step").getAsInt());
    }
    return events;
  }

  private static List<Integer> timingSteps(Path dir) throws Exception {
    List<Integer> steps = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("timings.jsonl"))) {
      steps.add(JsonParser.parseString(line).getAsJsonObject().get("step").getAsInt());
    }
    return steps;
  }

  /** An epsilon budget between that of {@code steps} DP-SGD steps of these runs and one more. */
  private static double epsilonBetweenSteps(int steps) throws Exception {
    Path probe = tmp.resolve("probe");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--steps",
            "1",
            "--eval-every",
            "0",
            "--checkpoint-every",
            "0",
            "--out",
            probe.toString());
    assertEquals(0, r.code(), r.err());
    int n =
        JsonParser.parseString(Files.readString(probe.resolve("summary.json")))
            .getAsJsonObject()
            .get("train_examples")
            .getAsInt();
    double q = 8.0 / n;
    double lo = new RdpAccountant().step(q, 1.0, steps).getEpsilon(1e-5);
    double hi = new RdpAccountant().step(q, 1.0, steps + 1).getEpsilon(1e-5);
    return (lo + hi) / 2;
  }
}
