package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * nodes to have been told. A node outside the population is still refused. Only a node that joined
 * the finished run (its HELLO names the run's identity) is told; see {@link
 * #aFreshNodeIsNotStoppedByAFinishedRunAndJoinsTheNextRun}.
 */
@Timeout(120)
class FinishedRunLateNodeTest {

  private static final ClientApp UNUSED =
      ins -> {
        throw new AssertionError("a finished run asks no node to fit");
      };

  @Test
  void aNodeConnectingAfterTheRunFinishedIsToldSo() throws Exception {
    try (InProcess net = new InProcess(serverOf("run-1"))) {
      Events events = new Events();
      ClientNode a = net.node("a", UNUSED, events);
      assertTrue(net.federation.awaitConnected(1, Duration.ofMinutes(1)));
      // The server dies; the same run's server comes back only to end it.
      net.stopServer();
      // Another process (another tag, the same run) that finishes the run before it listens, as
      // ServerCommand does: finished after it listens, it could welcome the reconnecting node.
      net.startServer(serverOf("run-1"), f -> f.finish("the run completed 2 rounds"));

      assertEquals("the run completed 2 rounds", a.awaitFinished());
      assertNull(a.refusal());
      assertTrue(net.federation.awaitTold(1, Duration.ofMinutes(1)));
      assertEquals(Set.of("a"), net.federation.toldNodes());
      net.serverEvents.await(Events.is(TransportEvent.Kind.FINISHED, "a"));
      // Welcomed once, by the run's first server; told, never welcomed, by the finished one.
      assertEquals(1, events.count(e -> e.kind() == TransportEvent.Kind.CONNECTED));

      ClientNode stranger = net.node("c", UNUSED, new Events());
      assertNull(stranger.awaitFinished());
      assertTrue(stranger.refusal() != null, "a node outside the population is refused");
      assertEquals(Set.of("a"), net.federation.toldNodes());
    }
  }

  /**
   * HELLO named no run, so a finished run's server told every node of its population to stop, also
   * one started for a new run on the same address. Now a node that never joined the finished run is
   * not told: it keeps trying and joins the next run served there. Its failed attempts say why it
   * keeps trying and what ends it, in the server's words alone (they read "the stream failed:
   * UNAVAILABLE: run ... is over and node 'b' has joined no run yet: it is not told to stop", which
   * did not say what to do, nor that a node restarted with another --state folder is such a node).
   */
  @Test
  void aFreshNodeIsNotStoppedByAFinishedRunAndJoinsTheNextRun() throws Exception {
    try (InProcess net = new InProcess(serverOf("run-1"))) {
      net.federation.finish("the run completed 2 rounds");
      Events events = new Events();
      ClientNode b = net.node("b", UNUSED, events);
      TransportEvent refused = net.serverEvents.await(Events.is(TransportEvent.Kind.REFUSED, "b"));
      String why =
          "run run-1 is over, and node 'b' cannot show that it took part in it: its HELLO names no"
              + " run (its --state folder records none), so it is not told to stop and keeps"
              + " trying to connect, to join the next run served at this address; to end it, start"
              + " it again with the --state folder it used in run run-1 (it is then told that the"
              + " run is over), or stop it";
      assertEquals(why, refused.detail());
      TransportEvent failed = events.await(Events.is(TransportEvent.Kind.CONNECT_FAILED, "b"));
      assertTrue(failed.detail().startsWith(why + " (trying again in "), failed.detail());
      assertEquals(Set.of(), net.federation.toldNodes());

      net.stopServer();
      net.startServer(serverOf("run-2"));
      assertTrue(net.federation.awaitConnected(List.of("b"), Duration.ofMinutes(1)));
      assertNull(b.refusal());
      // The node's CONNECTED, which it emits after sending READY, can come after the server took
      // that READY (CI, 4 December): wait for it, then check that it was the only one.
      events.await(Events.is(TransportEvent.Kind.CONNECTED, "b"));
      assertEquals(1, events.count(e -> e.kind() == TransportEvent.Kind.CONNECTED));
    }
  }

  /**
   * A node restarted with LOCAL state of the finished run (a client's --state bound to it) has not
   * been welcomed in this process, but names the run in its HELLO ({@link
   * ClientNode.Options#withJoinedRun}), so the finished run's server tells it that the run is over.
   */
  @Test
  void aRestartedNodeThatNamesTheRunIsToldSo() throws Exception {
    try (InProcess net = new InProcess(serverOf("run-1"))) {
      net.federation.finish("the run completed 2 rounds");
      ClientNode b =
          net.node(
              ClientNode.Options.defaults("b")
                  .withBackoff(InProcess.FAST)
                  .withListener(new Events())
                  .withJoinedRun("run-1"),
              UNUSED);
      assertEquals("the run completed 2 rounds", b.awaitFinished());
      assertTrue(net.federation.awaitTold(1, Duration.ofMinutes(1)));
      assertEquals(Set.of("b"), net.federation.toldNodes());
    }
  }

  /** A node whose HELLO names another run is not told either, and hears which run it named. */
  @Test
  void aNodeOfAnotherRunHearsWhichRunItNamed() throws Exception {
    try (InProcess net = new InProcess(serverOf("run-1"))) {
      net.federation.finish("the run completed 2 rounds");
      Events events = new Events();
      net.node(
          ClientNode.Options.defaults("b")
              .withBackoff(InProcess.FAST)
              .withListener(events)
              .withJoinedRun("run-0"),
          UNUSED);
      TransportEvent failed = events.await(Events.is(TransportEvent.Kind.CONNECT_FAILED, "b"));
      assertTrue(
          failed
              .detail()
              .startsWith(
                  "run run-1 is over, and node 'b' cannot show that it took part in it: its HELLO"
                      + " names run run-0, not this one, so it is not told to stop"),
          failed.detail());
      assertEquals(Set.of(), net.federation.toldNodes());
    }
  }

  /**
   * The options of one server process of the run {@code run} (its identity, told in WELCOME), of
   * the population a and b; each call makes a new random tag, as each server process does.
   */
  private static FederationServer.Options serverOf(String run) {
    return FederationServer.Options.defaults()
        .withPopulation(List.of("a", "b"))
        .withRunInfo(new RunInfo(List.of("x"), List.of(), run, java.util.Map.of()));
  }
}
