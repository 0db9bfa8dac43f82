package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * summary.json's {@code client_fit_failures}: the failed client updates of the completed rounds,
 * such as those of clients whose training diverged, but not clients that declined (a spent privacy
 * budget, counted as clients_declined) nor the failures of a round attempt that failed as a whole
 * (it has no result). QA, 4 December: nothing outside metrics.jsonl counted them.
 */
class RunRecorderFitFailuresTest {

  @TempDir Path tmp;

  @Test
  void countsTheFailedUpdatesOfCompletedRoundsButDeclinedClients() {
    RunRecorder r =
        new RunRecorder(
            tmp,
            List.of(
                "{\"event\":\"round\",\"round\":1,\"failures\":[{\"client\":\"c0\",\"kind\":\"ERROR\","
                    + "\"reason\":\"fit threw IllegalStateException: training diverged\"},"
                    + "{\"client\":\"c1\",\"kind\":\"DECLINED\",\"reason\":\"spent\"}]}",
                "{\"event\":\"round_failed\",\"round\":2,\"failures\":[{\"client\":\"c0\","
                    + "\"kind\":\"DROPPED\",\"reason\":\"lost\"}]}",
                "{\"event\":\"round\",\"round\":2,\"failures\":[{\"client\":\"c2\",\"kind\":\"TIMEOUT\","
                    + "\"reason\":\"late\"},{\"client\":\"c3\",\"kind\":\"REJECTED\",\"reason\":\"NaN\"}]}",
                "{\"event\":\"round\",\"round\":3,\"failures\":[]}"));
    assertEquals(3, r.fitFailures());
    assertEquals(0, new RunRecorder(tmp, List.of()).fitFailures());
  }
}
