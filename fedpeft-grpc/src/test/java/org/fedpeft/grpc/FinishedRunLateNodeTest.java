package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.fedpeft.federation.ClientApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link FederationServer#finish} told only the nodes connected at that moment and then refused new
 * streams ("the server is shutting down"), which a node takes as a reason to reconnect: a server
 * resumed only to write a finished run's report could not end the run for the nodes still trying to
 * reconnect. A node that connects after {@code finish} is now told that the run is over (DONE in
 * place of WELCOME) and stops as at a normal end; {@link FederationServer#awaitTold} waits for the
 * nodes to have been told. A node outside the population is still refused.
 */
@Timeout(120)
class FinishedRunLateNodeTest {

  private static final ClientApp UNUSED =
      ins -> {
        throw new AssertionError("a finished run asks no node to fit");
      };

  @Test
  void aNodeConnectingAfterTheRunFinishedIsToldSo() throws Exception {
    try (InProcess net =
        new InProcess(FederationServer.Options.defaults().withPopulation(List.of("a", "b")))) {
      net.federation.finish("the run completed 2 rounds");
      assertFalse(net.federation.awaitTold(1, Duration.ZERO));

      Events events = new Events();
      ClientNode a = net.node("a", UNUSED, events);
      assertEquals("the run completed 2 rounds", a.awaitFinished());
      assertNull(a.refusal());
      assertTrue(net.federation.awaitTold(1, Duration.ofMinutes(1)));
      assertEquals(Set.of("a"), net.federation.toldNodes());
      net.serverEvents.await(Events.is(TransportEvent.Kind.FINISHED, "a"));
      // Told, never welcomed: it did not join the finished run.
      assertEquals(0, events.count(e -> e.kind() == TransportEvent.Kind.CONNECTED));

      ClientNode stranger = net.node("c", UNUSED, new Events());
      assertNull(stranger.awaitFinished());
      assertTrue(stranger.refusal() != null, "a node outside the population is refused");
      assertEquals(Set.of("a"), net.federation.toldNodes());
    }
  }
}
