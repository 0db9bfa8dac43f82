package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: simulate's evaluations of the global model on the test split (after evaluated
 * rounds and at the end) drew no progress, as train's did not, so the rounds bar stood still while
 * a large test split was evaluated. They draw eval's delayed bar ({@code
 * Simulation.setEvaluationProgress}); here its interval is 0 or a time no test reaches, and
 * standard output and metrics.jsonl are the same either way.
 */
class SimulateEvalProgressCliTest {

  @TempDir Path tmp;

  private CliRun.Result simulate(Path out, long interval) throws Exception {
    long before = ProgressBar.lineIntervalNanos;
    try {
      ProgressBar.lineIntervalNanos = interval;
      return CliRun.run(
          "simulate",
          ReportRuns.config().toString(),
          "--set",
          "rounds=2",
          "--set",
          "eval.every=1",
          "--out",
          out.toString());
    } finally {
      ProgressBar.lineIntervalNanos = before;
    }
  }

  @Test
  void theTestSplitsEvaluationsDrawTheirProgress() throws Exception {
    CliRun.Result withBar = simulate(tmp.resolve("bar"), 0);
    CliRun.Result quiet = simulate(tmp.resolve("quiet"), ProgressBarTest.NEVER);
    assertEquals(0, withBar.code(), withBar.err());
    assertEquals(0, quiet.code(), quiet.err());
    // After rounds 1 and 2, then the final evaluation.
    assertEquals(
        List.of("test took", "test took", "test took"),
        withBar
            .err()
            .lines()
            .filter(l -> l.startsWith("eval [") && l.contains(" took "))
            .map(
                l ->
                    l.replaceFirst("^eval \\[[=> ]{24}\\] \\d+/\\d+ ", "")
                        .replaceAll(" +\\S+$", "")
                        .replaceAll(" +", " "))
            .toList(),
        withBar.err());
    assertFalse(quiet.err().contains("eval ["), quiet.err());
    assertEquals(
        quiet
            .out()
            .replace(tmp.resolve("quiet").toString(), "RUN")
            .replaceAll("\\d+(\\.\\d+)? s\\b", "T s"),
        withBar
            .out()
            .replace(tmp.resolve("bar").toString(), "RUN")
            .replaceAll("\\d+(\\.\\d+)? s\\b", "T s"),
        "standard output with and without the eval bar");
    assertEquals(
        Files.readString(tmp.resolve("quiet").resolve("metrics.jsonl")),
        Files.readString(tmp.resolve("bar").resolve("metrics.jsonl")),
        "metrics.jsonl with and without the eval bar");
  }
}
