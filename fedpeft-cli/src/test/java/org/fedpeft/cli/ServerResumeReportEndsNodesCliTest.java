package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server killed after its summary.json and before its report.html had not told its clients that
 * the run is over; {@code server --resume} wrote the report and ended without listening, so the
 * clients, still running, kept reconnecting for ever (docs/deployment.md said to stop them by
 * hand). The resume now listens at the run's address and tells every client that connects that the
 * run is over, as a finished run does: the clients end as at a normal end (exit 0, "the run
 * completed 1 round"). The timeout only detects the old hang. Tagged slow: three JVMs, 35-50 s when
 * it was tagged; about 8 s on 2 cores since test processes run C1 only ({@link Spawned}).
 */
@Tag("slow")
@Timeout(300)
class ServerResumeReportEndsNodesCliTest {

  @TempDir Path tmp;

  private static final String[] RECONNECT = Spawned.RECONNECT_QUICKLY.toArray(new String[0]);

  @Test
  void theResumedServerTellsTheReconnectingClientsThatTheRunIsOver() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 1);
    Path out = tmp.resolve("run");
    String point = "simulation-before-report";
    try (Spawned server =
            d.server(
                "server",
                Map.of(PausePoint.PROPERTY, point),
                List.of(
                    "server",
                    d.config.toString(),
                    "--out",
                    out.toString(),
                    "--listen",
                    Spawned.ANY_PORT,
                    "--certs",
                    d.certs.toString()));
        // They reconnect to the resumed server: within 1 s of it listening, not up to 30 s.
        Spawned c0 = d.client("client-0", Map.of(), RECONNECT);
        Spawned c1 = d.client("client-1", Map.of(), RECONNECT)) {
      server.awaitLine(PausePoint.message(point));
      server.kill(); // SIGKILL: summary.json written, report.html not, the clients not told
      assertTrue(Files.exists(out.resolve("summary.json")), server.output());
      assertFalse(Files.exists(out.resolve(ReportWriter.FILE)), server.output());

      // the clients know the killed server's port: the resumed one binds it (trying again while
      // it is still held)
      CliRun.Result r =
          CliRun.run(
              "server",
              "--resume",
              out.toString(),
              "--listen",
              d.address,
              "--certs",
              d.certs.toString());
      assertEquals(0, r.code(), r.err());
      assertTrue(
          r.err()
              .contains(
                  out
                      + ": the run finished but was interrupted before writing "
                      + ReportWriter.FILE
                      + "; wrote it"),
          r.err());
      assertTrue(r.out().contains("report: " + out.resolve(ReportWriter.FILE)), r.out());
      assertTrue(Files.isRegularFile(out.resolve(ReportWriter.FILE)));
      for (Spawned c : List.of(c0, c1)) {
        assertEquals(0, c.waitFor(), c.output());
        assertTrue(c.output().contains("the run completed 1 round"), c.output());
      }
      assertTrue(
          r.err().contains("the run is finished: telling 2 of 2 nodes [client-0, client-1]"),
          r.err());
      assertFalse(r.err().contains("did not connect"), r.err());
    }
  }
}
