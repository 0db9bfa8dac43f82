package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedpeft.federation.CommunicationLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunRecorder#resumeMetrics(int)} for a checkpoint that holds round 2 aggregated and not
 * released ({@link RunCheckpoint#pendingLine}), in a folder whose metrics.jsonl has round 2's line
 * (the killed process wrote it) and a failed attempt of round 3 after it: the file keeps both until
 * the resumed run writes round 2's line again, so a resume that dies before loses neither; then the
 * lines are recorded in the file's order, and the failed attempt's traffic counts.
 */
class RunRecorderPendingRoundTest {

  @TempDir Path tmp;

  private static final String ROUND_1 =
      "{\"event\":\"round\",\"round\":1,\"bytes_up\":10,\"bytes_down\":20,"
          + "\"bytes_up_total\":10,\"bytes_down_total\":20}";
  private static final String ROUND_2 =
      "{\"event\":\"round\",\"round\":2,\"bytes_up\":10,\"bytes_down\":20,"
          + "\"bytes_up_total\":20,\"bytes_down_total\":40,\"accuracy\":0.5}";
  private static final String FAILED_3 =
      "{\"event\":\"round_failed\",\"round\":3,\"bytes_up\":5,\"bytes_down\":20,"
          + "\"bytes_up_total\":25,\"bytes_down_total\":60}";

  @Test
  void thePendingRoundsLineAndTheFailedAttemptsAfterItStayInOrder() throws Exception {
    Path file = tmp.resolve("metrics.jsonl");
    List<String> written = List.of(ROUND_1, ROUND_2, FAILED_3);
    Files.write(file, written);

    // a resume that dies before it writes round 2's line leaves the file as it was
    new RunRecorder(tmp, List.of(ROUND_1)).resumeMetrics(2);
    assertEquals(written, Files.readAllLines(file));

    RunRecorder r = new RunRecorder(tmp, List.of(ROUND_1));
    r.resumeMetrics(2);
    assertEquals(written, Files.readAllLines(file));
    assertEquals(List.of(ROUND_1), r.metricLines(), "recorded only once round 2's line is");
    assertEquals(0, r.failedAttemptBytes(CommunicationLog.Direction.UP));

    r.appendMetrics(JsonParser.parseString(ROUND_2).getAsJsonObject());
    assertEquals(written, Files.readAllLines(file));
    assertEquals(written, r.metricLines());
    assertEquals(5, r.failedAttemptBytes(CommunicationLog.Direction.UP));
  }
}
