package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node that kept being refused printed one line per attempt, for as long as it kept trying (a
 * finished run's server that does not stop it: hours of lines). {@link EventLines} shows the first
 * in full and then counts the repeats, on the 1st, 2nd, 4th, 8th ... of them.
 */
class EventLinesTest {

  private static final String REASON = "run r is over, and node 'a' cannot show that it took part";

  private static TransportEvent failed(String node, String reason, long delayMillis) {
    return new TransportEvent(
        TransportEvent.Kind.CONNECT_FAILED,
        node,
        0,
        0,
        ClientNode.connectFailedLine(reason, "", Duration.ofMillis(delayMillis)));
  }

  @Test
  void aRepeatedFailureIsShownOnceInFullThenCountedAtPowersOfTwo() {
    EventLines lines = new EventLines();
    TransportEvent first = failed("a", REASON, 500);
    assertEquals(first.toString(), lines.line(first));
    List<String> shown = new ArrayList<>();
    long delay = 500;
    for (int repeat = 1; repeat <= 20; repeat++) {
      delay = Math.min(30_000, delay * 2);
      String line = lines.line(failed("a", REASON, delay));
      if (line != null) {
        shown.add(repeat + ": " + line);
      }
    }
    assertEquals(
        List.of(
            "1: connect_failed a: the same again, 1 more time since it was shown in full; still"
                + " trying every 1 s",
            "2: connect_failed a: the same again, 2 more times since it was shown in full; still"
                + " trying every 2 s",
            "4: connect_failed a: the same again, 4 more times since it was shown in full; still"
                + " trying every 8 s",
            "8: connect_failed a: the same again, 8 more times since it was shown in full; still"
                + " trying every 30 s",
            "16: connect_failed a: the same again, 16 more times since it was shown in full; still"
                + " trying every 30 s"),
        shown);
  }

  @Test
  void anotherReasonOrAnotherEventIsShownInFullAndStartsTheCountAgain() {
    EventLines lines = new EventLines();
    assertEquals(failed("a", REASON, 500).toString(), lines.line(failed("a", REASON, 500)));
    assertEquals(
        failed("b", REASON, 500).toString(),
        lines.line(failed("b", REASON, 500)),
        "another node's failure is its own");
    assertEquals(
        "connect_failed a: the same again, 1 more time since it was shown in full; still trying"
            + " every 1 s",
        lines.line(failed("a", REASON, 1000)));
    assertEquals(
        "connect_failed a: the same again, 2 more times since it was shown in full; still trying"
            + " every 2 s",
        lines.line(failed("a", REASON, 2000)));
    assertNull(lines.line(failed("a", REASON, 4000)), "the 3rd repeat is only counted");
    TransportEvent other = failed("a", "the stream failed: UNAVAILABLE: io exception", 8000);
    assertEquals(other.toString(), lines.line(other), "a new reason");
    assertEquals(
        failed("a", REASON, 16_000).toString(),
        lines.line(failed("a", REASON, 16_000)),
        "the old reason again after another is news");
    TransportEvent connected = new TransportEvent(TransportEvent.Kind.CONNECTED, "a", 0, 0, "ok");
    assertEquals(connected.toString(), lines.line(connected));
    assertEquals(
        failed("a", REASON, 500).toString(),
        lines.line(failed("a", REASON, 500)),
        "after a connection the next failure is shown in full");
  }

  @Test
  void aServersRepeatedRefusalOfANodeIsCountedWithoutADelay() {
    EventLines lines = new EventLines();
    TransportEvent refused = new TransportEvent(TransportEvent.Kind.REFUSED, "a", 0, 0, REASON);
    assertEquals(refused.toString(), lines.line(refused));
    assertEquals(
        "refused a: the same again, 1 more time since it was shown in full", lines.line(refused));
    assertEquals(
        "refused a: the same again, 2 more times since it was shown in full", lines.line(refused));
    assertNull(lines.line(refused));
  }
}
