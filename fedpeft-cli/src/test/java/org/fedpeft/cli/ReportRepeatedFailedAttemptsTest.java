package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html's traffic caption of a round that failed twice (two processes, each resumed with
 * --resume, failed it) before a third ran it: the round is named once, with the number of attempts.
 */
class ReportRepeatedFailedAttemptsTest {

  @TempDir Path tmp;

  @Test
  void aRoundThatFailedTwiceIsNamedOnce() throws Exception {
    Files.writeString(tmp.resolve("config.json"), "{\"rounds\": 2}\n");
    Files.writeString(
        tmp.resolve("summary.json"),
        """
        {"strategy": "fedit", "task": "classification", "rounds": 2,
         "bytes_up_total": 300, "bytes_down_total": 800}
        """);
    Files.write(
        tmp.resolve("metrics.jsonl"),
        List.of(
            "{\"event\":\"round\",\"round\":1,\"bytes_up\":100,\"bytes_down\":200,"
                + "\"bytes_up_total\":100,\"bytes_down_total\":200}",
            "{\"event\":\"round_failed\",\"round\":2,\"accepted\":0,\"required\":1,"
                + "\"bytes_up\":0,\"bytes_down\":200,\"bytes_up_total\":100,"
                + "\"bytes_down_total\":400}",
            "{\"event\":\"round_failed\",\"round\":2,\"accepted\":0,\"required\":1,"
                + "\"bytes_up\":0,\"bytes_down\":200,\"bytes_up_total\":100,"
                + "\"bytes_down_total\":600}",
            "{\"event\":\"round\",\"round\":2,\"bytes_up\":200,\"bytes_down\":200,"
                + "\"bytes_up_total\":300,\"bytes_down_total\":800}"));
    String html = Files.readString(ReportWriter.write(tmp));
    assertTrue(html.contains("2 attempts of round 2 failed"), html);
    assertFalse(html.contains("rounds 2, 2"), html);
    assertTrue(html.contains("are the traffic of the attempts (0 B up, 400 B down)"), html);
  }

  @Test
  void attemptsOfSeveralRoundsNameEachRoundOnce() {
    assertEquals("The attempt of round 3", ReportWriter.failedAttempts(List.of(3)));
    assertEquals("The 3 attempts of rounds 2, 4", ReportWriter.failedAttempts(List.of(2, 2, 4)));
  }
}
