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
 * report.html's traffic chart on a hand-written run folder of a run whose round 2 failed on
 * server.min_clients and was run again on resume: the failed attempt's traffic (its {@code
 * round_failed} line's {@code bytes_up} and {@code bytes_down}), which summary.json's totals
 * include, is drawn at round 2 under the completed round's bars and counted in the caption's
 * totals.
 */
class ReportFailedRoundTrafficTest {

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

  /**
   * Rounds 1 to 3 of 100 up and 200 down each, round 3 evaluated (30 up, 400 down), and an attempt
   * of round 2 that failed after its instructions went to two clients (200 down) and one of them
   * answered (50 up). By hand: up = 100 + 50 + 100 + 100 + 30 = 380, down = 200 + 200 + 200 + 200 +
   * 400 = 1200, summary.json's totals.
   */
  @Test
  void trafficChartCountsAFailedAttempt() throws Exception {
    Files.writeString(tmp.resolve("config.json"), "{\"rounds\": 3}\n");
    Files.writeString(
        tmp.resolve("summary.json"),
        """
        {"strategy": "fedit", "task": "classification", "rounds": 3,
         "bytes_up_total": 380, "bytes_down_total": 1200}
        """);
    Files.write(
        tmp.resolve("metrics.jsonl"),
        List.of(
            "{\"event\":\"round\",\"round\":1,\"bytes_up\":100,\"bytes_down\":200,"
                + "\"bytes_up_total\":100,\"bytes_down_total\":200}",
            "{\"event\":\"round_failed\",\"round\":2,\"accepted\":1,\"required\":2,"
                + "\"bytes_up\":50,\"bytes_down\":200,\"bytes_up_total\":150,"
                + "\"bytes_down_total\":400}",
            "{\"event\":\"round\",\"round\":2,\"bytes_up\":100,\"bytes_down\":200,"
                + "\"bytes_up_total\":250,\"bytes_down_total\":600}",
            "{\"event\":\"round\",\"round\":3,\"bytes_up\":100,\"bytes_down\":200,"
                + "\"bytes_up_total\":350,\"bytes_down_total\":800,\"accuracy\":0.5,"
                + "\"eval_bytes_up\":30,\"eval_bytes_down\":400}"));
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
