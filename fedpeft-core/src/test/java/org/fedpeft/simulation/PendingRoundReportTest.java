package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.federation.ServerState;
import org.junit.jupiter.api.Test;

/**
 * The report a resumed run gives its listener for the round its checkpoint holds pending ({@link
 * Simulation#pendingReport}), rebuilt from that round's metrics line: the console's {@code clients
 * accepted/sampled} must be what the uninterrupted run printed.
 */
class PendingRoundReportTest {

  private static final ServerState STATE =
      ServerState.initial(Map.of(), "fedavg").toBuilder().round(3).build();

  @Test
  void aSkippedRoundAcceptedNobody() {
    RoundReport r =
        Simulation.pendingReport(
            STATE,
            Simulation.lineMap(
                "{\"event\":\"round\",\"round\":3,\"sampled\":[\"client-1\"],\"accepted\":0,"
                    + "\"skipped\":\"1 client(s) sampled (Poisson client sampling), fewer than"
                    + " server.min_clients = 2\",\"failures\":[],\"bytes_up\":0,"
                    + "\"bytes_down\":0}"));
    assertEquals(List.of("client-1"), r.sampled());
    assertEquals(List.of(), r.accepted());
    assertEquals(3, r.round());
  }

  @Test
  void aRoundAcceptedTheSampledClientsThatDidNotFail() {
    RoundReport r =
        Simulation.pendingReport(
            STATE,
            Simulation.lineMap(
                "{\"event\":\"round\",\"round\":3,\"sampled\":[\"client-1\",\"client-2\"],"
                    + "\"accepted\":1,\"failures\":[{\"client\":\"client-2\",\"kind\":\"ERROR\","
                    + "\"reason\":\"x\"}],\"bytes_up\":10,\"bytes_down\":20}"));
    assertEquals(List.of("client-1"), r.accepted());
    assertEquals(10, r.bytesUp());
    assertEquals(20, r.bytesDown());
  }
}
