package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code simulate --resume} of a run killed after summary.json and before report.html writes the
 * report and prints the run's result. Review, 4 December: it printed only the final line and the
 * report's path, not the privacy, communication and adapter lines the run prints, and exited 0 for
 * a run in which no round completed, which the run itself ends with exit 2. It now prints what the
 * run prints, from the same code ({@link SimulateCommand#printResult}). The run folders are made
 * here: the resume reads nothing but summary.json, metrics.jsonl and config.json.
 */
class ResumeWritesReportOutputCliTest {

  @TempDir Path tmp;

  private Path finishedRun(String summary) throws Exception {
    Path dir = tmp.resolve("run");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), "{\"client.objective\":\"classification\"}\n");
    Files.writeString(dir.resolve("metrics.jsonl"), "");
    Files.writeString(dir.resolve("summary.json"), summary + "\n");
    return dir;
  }

  @Test
  void theResumePrintsWhatTheRunPrints() throws Exception {
    Path dir =
        finishedRun(
            "{\"command\":\"simulate\",\"rounds\":2,\"rounds_configured\":2,"
                + "\"final_accuracy\":0.5,\"final_loss\":0.75,\"test_examples\":8,"
                + "\"privacy\":\"client-level DP-FedAvg\",\"epsilon\":3.25,\"delta\":\"1.0E-5\","
                + "\"epsilon_sampling\":\"q = 0.5\",\"private\":true,"
                + "\"bytes_up_total\":1234,\"bytes_down_total\":5678,"
                + "\"adapter_dir\":\"/runs/x/adapter\"}");
    CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(
        String.join(
            "\n",
            "final accuracy: 0.5000 (loss 0.7500, 8 test examples) after 2 rounds",
            "privacy: epsilon 3.2500 at delta 1.0E-5 (q = 0.5)",
            "communication: 1,234 bytes up, 5,678 bytes down",
            "report: " + dir.resolve("report.html"),
            "adapter: /runs/x/adapter",
            ""),
        r.out().replace(System.lineSeparator(), "\n"));
    assertTrue(Files.isRegularFile(dir.resolve("report.html")));
  }

  @Test
  void aRunWithNoRoundCompletedStillExits2() throws Exception {
    Path dir =
        finishedRun(
            "{\"command\":\"simulate\",\"rounds\":0,\"rounds_configured\":3,"
                + "\"stopped_early\":\"the privacy budget is spent\",\"final_accuracy\":0.25,"
                + "\"final_loss\":1.5,\"test_examples\":8,"
                + "\"bytes_up_total\":0,\"bytes_down_total\":0,"
                + "\"adapter_dir\":\"/runs/x/adapter\"}");
    CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("simulate: no round completed"), r.err());
    assertTrue(Files.isRegularFile(dir.resolve("report.html")));
  }
}
