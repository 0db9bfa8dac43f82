package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.List;
import java.util.function.Consumer;
import org.fedpeft.grpc.TransportEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link NetworkOptions#console}: the network lines of a server or a node on its console. */
class NetworkConsoleTest {

  /**
   * QA: the console counted an event ({@code EventLines}) before taking the console's lock to print
   * it, so of two events of one node on two threads (gRPC's threads; on a server, two processes
   * started with the same --id), the second could print its count, "the same again, 1 more time",
   * before the first printed the line it counts. Here the first thread is held at the console's
   * lock (the test holds it) while the second event is printed: the lines come out in the order
   * they were counted.
   */
  @Test
  @Timeout(60)
  void aCountIsNeverPrintedBeforeTheLineItCounts() throws Exception {
    StringWriter text = new StringWriter();
    PrintWriter err = new PrintWriter(text);
    Consumer<TransportEvent> console = NetworkOptions.console(err);
    TransportEvent refused =
        new TransportEvent(TransportEvent.Kind.REFUSED, "client-0", 0, 0, "not told to stop");
    console.accept(new TransportEvent(TransportEvent.Kind.CONNECTED, "warm-up", 0, 0, "connected"));
    Thread first = new Thread(() -> console.accept(refused), "first-event");
    synchronized (err) {
      first.start();
      awaitBlockedOn(first, err);
      console.accept(refused);
    }
    first.join();
    err.flush();
    assertEquals(
        List.of(
            "network: connected warm-up: connected",
            "network: refused client-0: not told to stop",
            "network: refused client-0: the same again, 1 more time since it was shown in full"),
        text.toString().lines().toList());
  }

  /**
   * Waits until {@code thread} waits to enter {@code monitor} (its state, not a wall-clock wait).
   */
  private static void awaitBlockedOn(Thread thread, Object monitor) {
    int hash = System.identityHashCode(monitor);
    while (true) {
      ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(thread.getId());
      if (info != null
          && info.getThreadState() == Thread.State.BLOCKED
          && info.getLockInfo() != null
          && info.getLockInfo().getIdentityHashCode() == hash) {
        return;
      }
      Thread.onSpinWait();
    }
  }
}
