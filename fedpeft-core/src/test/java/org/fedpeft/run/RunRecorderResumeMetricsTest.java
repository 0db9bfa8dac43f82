package org.fedpeft.run;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.fedpeft.federation.CommunicationLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunRecorder#resumeMetrics}: a resumed run keeps, after the checkpoint's lines, the {@code
 * round_failed} lines of failed attempts (whose traffic its totals count) and drops any other line
 * (an interrupted round's); a file that does not continue the checkpoint's lines keeps nothing.
 */
class RunRecorderResumeMetricsTest {

  @TempDir Path tmp;

  private static final String ROUND_1 =
      "{\"event\":\"round\",\"round\":1,\"bytes_up\":10,\"bytes_down\":20,"
          + "\"bytes_up_total\":10,\"bytes_down_total\":20}";
  private static final String FAILED_2 =
      "{\"event\":\"round_failed\",\"round\":2,\"bytes_up\":5,\"bytes_down\":20,"
          + "\"bytes_up_total\":15,\"bytes_down_total\":40}";
  private static final String FAILED_2_AGAIN =
      "{\"event\":\"round_failed\",\"round\":2,\"bytes_up\":0,\"bytes_down\":20,"
          + "\"bytes_up_total\":15,\"bytes_down_total\":60}";
  private static final String ROUND_2 =
      "{\"event\":\"round\",\"round\":2,\"bytes_up\":10,\"bytes_down\":20,"
          + "\"bytes_up_total\":25,\"bytes_down_total\":80}";

  @Test
  void keepsTheFailedAttemptsAfterTheCheckpointAndCountsTheirTraffic() throws Exception {
    Files.write(
        tmp.resolve("metrics.jsonl"),
        List.of(ROUND_1, FAILED_2, FAILED_2_AGAIN, ROUND_2, "{\"event\":\"round\",\"rou"));
    RunRecorder r = new RunRecorder(tmp, List.of(ROUND_1));
    assertEquals(0, r.failedAttemptBytes(CommunicationLog.Direction.UP));
    r.resumeMetrics();
    List<String> kept = List.of(ROUND_1, FAILED_2, FAILED_2_AGAIN);
    assertEquals(kept, r.metricLines());
    assertEquals(kept, Files.readAllLines(tmp.resolve("metrics.jsonl")));
    assertEquals(5, r.failedAttemptBytes(CommunicationLog.Direction.UP));
    assertEquals(40, r.failedAttemptBytes(CommunicationLog.Direction.DOWN));
    // a checkpoint that holds them (the next one's lines) counts them again, once
    RunRecorder next = new RunRecorder(tmp, kept);
    next.resumeMetrics();
    assertEquals(kept, next.metricLines());
    assertEquals(40, next.failedAttemptBytes(CommunicationLog.Direction.DOWN));
  }

  @Test
  void aLineCutInsideACharacterIsDroppedLikeAnyCutLine() throws Exception {
    // a kill inside a long line's last character: the file ends with the first byte of "é"
    byte[] head =
        (ROUND_1 + "\n" + FAILED_2 + "\n{\"event\":\"round\",\"note\":\"").getBytes(UTF_8);
    byte[] cut = Arrays.copyOf(head, head.length + 1);
    cut[head.length] = (byte) 0xC3;
    Files.write(tmp.resolve("metrics.jsonl"), cut);
    RunRecorder r = new RunRecorder(tmp, List.of(ROUND_1));
    r.resumeMetrics();
    assertEquals(List.of(ROUND_1, FAILED_2), r.metricLines());
    assertEquals(List.of(ROUND_1, FAILED_2), Files.readAllLines(tmp.resolve("metrics.jsonl")));
  }

  @Test
  void aFileThatDoesNotContinueTheCheckpointKeepsNothingAfterIt() throws Exception {
    Files.write(tmp.resolve("metrics.jsonl"), List.of(ROUND_2, FAILED_2));
    RunRecorder r = new RunRecorder(tmp, List.of(ROUND_1));
    r.resumeMetrics();
    assertEquals(List.of(ROUND_1), Files.readAllLines(tmp.resolve("metrics.jsonl")));
    assertEquals(0, r.failedAttemptBytes(CommunicationLog.Direction.DOWN));
  }

  @Test
  void noLineToKeepRemovesTheFile() throws Exception {
    Files.write(tmp.resolve("metrics.jsonl"), List.of(ROUND_1));
    new RunRecorder(tmp, List.of()).resumeMetrics();
    assertFalse(Files.exists(tmp.resolve("metrics.jsonl")));
  }

  /**
   * QA, 5 December: the lines of metrics.jsonl after the checkpointed ones were read with gson's
   * lenient parser, so a round_failed line with a repeated key (a hand-edited or damaged file) was
   * kept with its last value, and its traffic counted. A line other than the last (which a kill may
   * cut) that is not strict JSON is refused, naming the file and the line. Fails on the old code.
   */
  @Test
  void aDamagedLineBeforeTheLastIsRefusedNamingTheFileAndLine() throws Exception {
    Path file = tmp.resolve("metrics.jsonl");
    String repeated = FAILED_2.replace("\"bytes_up\":5,", "\"bytes_up\":5,\"bytes_up\":500,");
    Files.write(file, List.of(ROUND_1, repeated, FAILED_2_AGAIN));
    RunRecorder r = new RunRecorder(tmp, List.of(ROUND_1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::resumeMetrics);
    assertEquals(file + ": line 2: duplicate key 'bytes_up' at column 49", e.getMessage());
    assertEquals(
        List.of(ROUND_1, repeated, FAILED_2_AGAIN), Files.readAllLines(file), "left as it was");
    assertEquals(
        e.getMessage(),
        assertThrows(IllegalArgumentException.class, r::failedRoundNumbers).getMessage(),
        "asked before a resume touches the folder, too");
  }
}
