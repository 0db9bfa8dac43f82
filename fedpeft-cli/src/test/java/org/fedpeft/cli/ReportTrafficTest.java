package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html's traffic chart on hand-written run folders of runs a privacy budget stopped, and of
 * a run whose round failed and was run again: the traffic of the round that could not complete
 * ({@code stopped_early}'s or {@code round_failed}'s {@code bytes_up} and {@code bytes_down}),
 * which summary.json's totals include, is drawn and counted too.
 */
class ReportTrafficTest {

  @TempDir Path tmp;

  /** The bytes of every traffic bar of class {@code traffic-i}, i = 0..3, summed per class. */
  private static long[] bars(String html) {
    long[] sum = new long[4];
    Matcher m =
        Pattern.compile("class=\"traffic-(\\d)\".*?\\(([0-9,]+) bytes\\)</title>").matcher(html);
    while (m.find()) {
      sum[Integer.parseInt(m.group(1))] += Long.parseLong(m.group(2).replace(",", ""));
    }
    return sum;
  }

  private static void write(Path dir, String summary, String... metrics) throws Exception {
    Files.writeString(dir.resolve("config.json"), "{\"rounds\": 5}\n");
    Files.writeString(dir.resolve("summary.json"), summary);
    Files.write(dir.resolve("metrics.jsonl"), List.of(metrics));
  }

  /**
   * Three rounds (round 2 evaluated), then sample-level DP refuses round 4 after its instructions
   * went out and one client uploaded; the stopped_early line holds round 3's evaluation. By hand:
   * up = 100 + (100 + 30) + 100 + 30 (round 3's evaluation) + 60 (round 4's attempt) = 420, down =
   * 200 + (200 + 400) + 200 + 400 + 200 = 1600, summary.json's totals (the stopped_early line's
   * totals 390 and 1200 plus its evaluation bytes).
   */
  @Test
  void trafficChartCountsTheRoundABudgetStopped() throws Exception {
    write(
        tmp,
        """
        {"strategy": "fedit", "task": "classification", "rounds": 3, "rounds_configured": 5,
         "stopped_early": "privacy budget spent: in round 4, 2 of the 3 sampled clients declined",
         "bytes_up_total": 420, "bytes_down_total": 1600}
        """,
        "{\"event\":\"round\",\"round\":1,\"bytes_up\":100,\"bytes_down\":200,"
            + "\"bytes_up_total\":100,\"bytes_down_total\":200}",
        "{\"event\":\"round\",\"round\":2,\"bytes_up\":100,\"bytes_down\":200,"
            + "\"bytes_up_total\":200,\"bytes_down_total\":400,\"accuracy\":0.5,"
            + "\"eval_bytes_up\":30,\"eval_bytes_down\":400}",
        "{\"event\":\"round\",\"round\":3,\"bytes_up\":100,\"bytes_down\":200,"
            + "\"bytes_up_total\":330,\"bytes_down_total\":1000}",
        "{\"event\":\"stopped_early\",\"round\":3,\"stopped_early\":\"privacy budget spent\","
            + "\"bytes_up\":60,\"bytes_down\":200,\"bytes_up_total\":390,"
            + "\"bytes_down_total\":1200,\"accuracy\":0.6,\"eval_bytes_up\":30,"
            + "\"eval_bytes_down\":400}");
    String html = Files.readString(ReportWriter.write(tmp));
    long[] sum = bars(html);
    assertEquals(420, sum[0] + sum[1], "up bars = summary.json's bytes_up_total");
    assertEquals(1600, sum[2] + sum[3], "down bars = summary.json's bytes_down_total");
    assertEquals(100 + 100 + 100 + 60, sum[0]);
    assertEquals(30 + 30, sum[1]);
    assertTrue(
        html.contains("round 4 (did not complete), up, training (client updates): 60 B (60 bytes)"),
        html);
    assertTrue(
        html.contains(
            "round 4 (did not complete), down, training (broadcast to sampled clients): 200 B"),
        html);
    assertTrue(
        html.contains("round 3, up, evaluation (client replies): 30 B"), "round 3 evaluated");
    assertTrue(html.contains("Up: 420 B (training 360 B, evaluation 60 B)"), html);
    assertTrue(html.contains("Down: 1.6 kB (training 800 B, evaluation 800 B)"), html);
    assertTrue(html.contains("Round 4 did not complete (stopped early)"), html);
  }

  /**
   * Sample-level DP refuses round 1 (no round completed): the report still draws the attempt's
   * traffic, which summary.json's totals are.
   */
  @Test
  void trafficChartOfARunThatCompletedNoRound() throws Exception {
    write(
        tmp,
        """
        {"strategy": "fedit", "task": "classification", "rounds": 0, "rounds_configured": 5,
         "stopped_early": "privacy budget spent: in round 1, 3 of the 3 sampled clients declined",
         "bytes_up_total": 45, "bytes_down_total": 900}
        """,
        "{\"event\":\"stopped_early\",\"round\":0,\"stopped_early\":\"privacy budget spent\","
            + "\"bytes_up\":45,\"bytes_down\":900,\"bytes_up_total\":45,"
            + "\"bytes_down_total\":900}");
    String html = Files.readString(ReportWriter.write(tmp));
    assertTrue(html.contains("No round completed."), html);
    long[] sum = bars(html);
    assertEquals(45, sum[0] + sum[1]);
    assertEquals(900, sum[2] + sum[3]);
    assertTrue(html.contains("round 1 (did not complete), up, training"), html);
  }

  /** Client-level DP refuses the round before sending it out: no bar for it, nothing to add. */
  @Test
  void noBarForARoundRefusedBeforeItWentOut() throws Exception {
    write(
        tmp,
        """
        {"strategy": "fedit", "task": "classification", "rounds": 1, "rounds_configured": 5,
         "stopped_early": "privacy budget spent", "bytes_up_total": 100, "bytes_down_total": 200}
        """,
        "{\"event\":\"round\",\"round\":1,\"bytes_up\":100,\"bytes_down\":200,"
            + "\"bytes_up_total\":100,\"bytes_down_total\":200}",
        "{\"event\":\"stopped_early\",\"round\":1,\"stopped_early\":\"privacy budget spent\","
            + "\"bytes_up\":0,\"bytes_down\":0,\"bytes_up_total\":100,"
            + "\"bytes_down_total\":200}");
    String html = Files.readString(ReportWriter.write(tmp));
    long[] sum = bars(html);
    assertEquals(100, sum[0] + sum[1]);
    assertEquals(200, sum[2] + sum[3]);
    assertTrue(!html.contains("did not complete"), html);
  }

  /**
   * Rounds 1 to 3 of 100 up and 200 down each, round 3 evaluated (30 up, 400 down), and an attempt
   * of round 2 that failed after its instructions went to two clients (200 down) and one of them
   * answered (50 up). By hand: up = 100 + 50 + 100 + 100 + 30 = 380, down = 200 + 200 + 200 + 200 +
   * 400 = 1200, summary.json's totals.
   */
  @Test
  void trafficChartCountsAFailedAttempt() throws Exception {
    write(
        tmp,
        """
        {"strategy": "fedit", "task": "classification", "rounds": 3,
         "bytes_up_total": 380, "bytes_down_total": 1200}
        """,
        "{\"event\":\"round\",\"round\":1,\"bytes_up\":100,\"bytes_down\":200,"
            + "\"bytes_up_total\":100,\"bytes_down_total\":200}",
        "{\"event\":\"round_failed\",\"round\":2,\"accepted\":1,\"required\":2,"
            + "\"bytes_up\":50,\"bytes_down\":200,\"bytes_up_total\":150,"
            + "\"bytes_down_total\":400}",
        "{\"event\":\"round\",\"round\":2,\"bytes_up\":100,\"bytes_down\":200,"
            + "\"bytes_up_total\":250,\"bytes_down_total\":600}",
        "{\"event\":\"round\",\"round\":3,\"bytes_up\":100,\"bytes_down\":200,"
            + "\"bytes_up_total\":350,\"bytes_down_total\":800,\"accuracy\":0.5,"
            + "\"eval_bytes_up\":30,\"eval_bytes_down\":400}");
    String html = Files.readString(ReportWriter.write(tmp));
    long[] sum = bars(html);
    assertEquals(380, sum[0] + sum[1], "up bars = summary.json's bytes_up_total");
    assertEquals(1200, sum[2] + sum[3], "down bars = summary.json's bytes_down_total");
    assertTrue(
        html.contains("round 2 (failed attempt), up, training (client updates): 50 B (50 bytes)"),
        html);
    assertTrue(
        html.contains("round 2 (failed attempt), down, training (broadcast to sampled clients)"),
        html);
    assertTrue(html.contains("round 2, up, training (client updates): 100 B"), html);
    assertTrue(html.contains("Up: 380 B (training 350 B, evaluation 30 B)"), html);
    assertTrue(html.contains("Down: 1.2 kB (training 800 B, evaluation 400 B)"), html);
    assertTrue(html.contains("The attempt of round 2 failed"), html);
    assertTrue(!html.contains("did not complete"), html);
  }
}
