package org.fedpeft.federation;

import static org.fedpeft.federation.CommunicationLog.Direction.DOWN;
import static org.fedpeft.federation.CommunicationLog.Direction.UP;
import static org.fedpeft.federation.CommunicationLog.Phase.EVALUATE;
import static org.fedpeft.federation.CommunicationLog.Phase.FIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CommunicationLogTest {

  @Test
  void totalsPerRoundClientAndDirection() {
    CommunicationLog log = new CommunicationLog();
    log.record(1, "a", FIT, DOWN, 100);
    log.record(1, "a", FIT, UP, 40);
    log.record(1, "b", FIT, DOWN, 100);
    log.record(2, "a", FIT, DOWN, 110);
    log.record(2, "a", EVALUATE, UP, 7);
    assertEquals(310, log.total(DOWN));
    assertEquals(47, log.total(UP));
    assertEquals(200, log.roundTotal(1, DOWN));
    assertEquals(7, log.roundTotal(2, UP));
    assertEquals(
        210,
        log.entries().stream()
            .filter(e -> e.clientId().equals("a") && e.direction() == DOWN)
            .mapToLong(CommunicationLog.Entry::bytes)
            .sum());
    assertEquals(100, log.bytes(1, "b", DOWN));
    assertEquals(0, log.bytes(2, "b", DOWN));

    CommunicationLog back = CommunicationLog.fromJson(log.toJson());
    assertEquals(log.entries(), back.entries());
    assertEquals(log.toJson(), back.toJson());
  }

  @Test
  void badJsonIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> CommunicationLog.fromJson("{}"));
    assertThrows(IllegalArgumentException.class, () -> CommunicationLog.fromJson("[1"));
  }
}
