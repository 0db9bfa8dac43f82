package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedpeft.federation.CommunicationLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunRecorder#resumeMetrics} of a run killed after its {@code stopped_early} line and before
 * its summary.json: the line is dropped and its traffic not counted (the resumed run meets the same
 * stop and writes its own line, the run's one closing record), while a {@code round_failed} line
 * before it is kept and counted. docs/architecture.md says why.
 */
class RunRecorderStoppedEarlyResumeTest {

  @TempDir Path tmp;

  private static final String ROUND_1 =
      "{\"event\":\"round\",\"round\":1,\"bytes_up\":10,\"bytes_down\":20,"
          + "\"bytes_up_total\":10,\"bytes_down_total\":20}";
  private static final String FAILED_2 =
      "{\"event\":\"round_failed\",\"round\":2,\"bytes_up\":5,\"bytes_down\":20,"
          + "\"bytes_up_total\":15,\"bytes_down_total\":40}";
  private static final String STOPPED_AFTER_1 =
      "{\"event\":\"stopped_early\",\"round\":1,\"stopped_early\":\"privacy budget\","
          + "\"bytes_up\":3,\"bytes_down\":20,\"bytes_up_total\":18,\"bytes_down_total\":60,"
          + "\"eval_bytes_up\":7,\"eval_bytes_down\":9}";

  @Test
  void aStoppedEarlyLineAfterTheCheckpointIsDroppedAndNotCounted() throws Exception {
    Files.write(tmp.resolve("metrics.jsonl"), List.of(ROUND_1, FAILED_2, STOPPED_AFTER_1));
    RunRecorder r = new RunRecorder(tmp, List.of(ROUND_1));
    r.resumeMetrics();
    List<String> kept = List.of(ROUND_1, FAILED_2);
    assertEquals(kept, r.metricLines());
    assertEquals(kept, Files.readAllLines(tmp.resolve("metrics.jsonl")));
    // the failed attempt's traffic only
    assertEquals(5, r.failedAttemptBytes(CommunicationLog.Direction.UP));
    assertEquals(20, r.failedAttemptBytes(CommunicationLog.Direction.DOWN));
  }
}
