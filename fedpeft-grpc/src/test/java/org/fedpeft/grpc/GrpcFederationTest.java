package org.fedpeft.grpc;

import static org.fedpeft.grpc.Clients.adder;
import static org.fedpeft.grpc.Clients.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fedpeft.engine.NativeHeap;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientDeclinedException;
import org.fedpeft.federation.ClientFailure;
import org.fedpeft.federation.ClientSampler;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.FedAvg;
import org.fedpeft.federation.FederatedRound;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The federation protocol on gRPC's in-process transport: every message and fault. */
@Timeout(120)
class GrpcFederationTest {

  private static final Map<String, HostTensor> INITIAL = Map.of("w", vec(0.5f, -1, 2), "h", vec(1));

  private static final FederatedRound.Options OPTIONS = Rounds.OPTIONS;

  private static FedAvg strategy(int minClients) {
    return Rounds.strategy(minClients);
  }

  /**
   * A round driver over the nodes {@code ids} of {@code net}, sampling all of them each round, with
   * {@code options}.
   */
  private static FederatedRound driver(
      InProcess net, FedAvg strategy, FederatedRound.Options options, List<String> ids) {
    return new FederatedRound(
        strategy,
        net.federation.clientApps(ids),
        new ClientSampler(1, ids.size()),
        new CommunicationLog(),
        options);
  }

  private static ClientFailure failureOf(RoundReport r, String id) {
    return r.failures().stream()
        .filter(f -> f.clientId().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no failure of " + id + ": " + r.failures()));
  }

  @Test
  void roundsOverTheTransportEqualRoundsInProcess() throws Exception {
    Map<String, ClientApp> local = new TreeMap<>();
    local.put("a", adder("a", 1, 3));
    local.put("b", adder("b", -2, 5));
    local.put("c", adder("c", 0.25f, 7));
    CommunicationLog directLog = new CommunicationLog();
    Rounds.Result direct = Rounds.run(strategy(2), INITIAL, local, 2, 4, directLog);

    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      Events nodeEvents = new Events();
      local.forEach((id, app) -> net.node(id, app, nodeEvents));
      assertTrue(net.federation.awaitConnected(local.keySet(), Duration.ofMinutes(1)));
      CommunicationLog remoteLog = new CommunicationLog();
      Rounds.Result remote =
          Rounds.run(
              strategy(2), INITIAL, net.federation.clientApps(local.keySet()), 2, 4, remoteLog);
      assertArrayEquals(direct.state().toBytes(), remote.state().toBytes());
      assertEquals(direct.reports(), remote.reports());
      assertEquals(directLog.entries(), remoteLog.entries());
      assertEquals(0, net.serverEvents.count(e -> e.kind() == TransportEvent.Kind.REJECTED));
    }
  }

  @Test
  void aNodeTrimsItsNativeHeapOnceItHasAnsweredEveryRequest() throws Exception {
    // A JDK that cannot trim (before 17.0.9) cannot show the node's trim either.
    assumeTrue(NativeHeap.trim(), "this JDK cannot trim the native heap");
    Map<String, ClientApp> local = new TreeMap<>();
    local.put("a", adder("a", 1, 3));
    long before = NativeHeap.trimsRun();
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      local.forEach((id, app) -> net.node(id, app, new Events()));
      assertTrue(net.federation.awaitConnected(local.keySet(), Duration.ofMinutes(1)));
      Rounds.run(
          strategy(1),
          INITIAL,
          net.federation.clientApps(local.keySet()),
          1,
          1,
          new CommunicationLog());
      // The node trims after its reply is sent, so the server may have the reply first: wait for
      // the trim itself (each trim wakes this wait; the bound only ends a broken test).
      assertTrue(
          NativeHeap.awaitMoreTrimsThan(before, Duration.ofMinutes(1)),
          "the node did not trim after its reply");
    }
  }

  @Test
  void aMessageOverTenMegabytesTravelsInChunks() throws Exception {
    float[] big = new float[3_000_000]; // 12 MB of F32 each way
    for (int i = 0; i < big.length; i++) {
      big[i] = (i % 1000) / 1000f;
    }
    Map<String, HostTensor> initial = Map.of("w", vec(big));
    FedAvg strategy = new FedAvg(StrategyOptions.defaults());
    ServerState s0 = strategy.initialize(initial);
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      net.node("a", adder("a", 1, 1), new Events());
      assertTrue(net.federation.awaitConnected(1, Duration.ofMinutes(1)));
      CommunicationLog log = new CommunicationLog();
      RoundReport remote;
      try (FederatedRound driver =
          new FederatedRound(
              strategy,
              net.federation.clientApps(List.of("a")),
              new ClientSampler(1, 1),
              log,
              OPTIONS)) {
        remote = driver.run(s0);
      }
      RoundReport direct;
      try (FederatedRound driver =
          new FederatedRound(
              strategy,
              Map.of("a", adder("a", 1, 1)),
              new ClientSampler(1, 1),
              new CommunicationLog(),
              OPTIONS)) {
        direct = driver.run(s0);
      }
      assertEquals(List.of("a"), remote.accepted());
      assertTrue(log.total(CommunicationLog.Direction.UP) > 12_000_000);
      assertTrue(log.total(CommunicationLog.Direction.DOWN) > 12_000_000);
      assertArrayEquals(direct.state().toBytes(), remote.state().toBytes());
    }
  }

  /**
   * A node whose fit outlasts the driver's timeout is cancelled over the transport (its work is
   * interrupted; both sides see the stream CANCELLED) and serves the next round. The round with the
   * timeout samples only that node, which blocks until it is cancelled: its timeout is reached
   * however fast or slow the machine is, and no other call races it (the timeout among answering
   * clients is FederatedRoundTest's). The next round's timeout only bounds a hang.
   */
  @Test
  void aNodeThatTimesOutIsCancelledAndServesTheNextRound() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    ClientApp good = adder("b", 2, 1);
    ClientApp blocksOnce =
        ins -> {
          if (first.getAndSet(false)) {
            try {
              new CountDownLatch(1).await(); // until the server cancels the request
            } catch (InterruptedException e) {
              interrupted.countDown();
              throw e;
            }
          }
          return good.fit(ins);
        };
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      Events nodeEvents = new Events();
      net.node("a", adder("a", 1, 1), nodeEvents);
      net.node("b", blocksOnce, nodeEvents);
      assertTrue(net.federation.awaitConnected(2, Duration.ofMinutes(1)));
      FedAvg strategy = strategy(1);
      ServerState s0 = strategy.initialize(INITIAL);
      try (FederatedRound timingOut =
          driver(net, strategy, OPTIONS.withClientTimeout(Duration.ofMillis(100)), List.of("b"))) {
        RoundFailedException e = assertThrows(RoundFailedException.class, () -> timingOut.run(s0));
        assertEquals(List.of("b"), e.sampled());
        assertEquals(1, e.failures().size(), e.failures().toString());
        assertEquals(ClientFailure.Kind.TIMEOUT, e.failures().get(0).kind());
        assertEquals("fit did not finish within 100 ms", e.failures().get(0).reason());
      }
      assertTrue(interrupted.await(1, TimeUnit.MINUTES), "the node's work is interrupted");
      nodeEvents.await(Events.is(TransportEvent.Kind.CANCELLED, "b"));
      net.serverEvents.await(Events.is(TransportEvent.Kind.CANCELLED, "b"));
      try (FederatedRound driver = driver(net, strategy, OPTIONS, List.of("a", "b"))) {
        RoundReport r = driver.run(s0);
        assertEquals(List.of("a", "b"), r.accepted());
      }
    }
  }

  @Test
  void aNodeLostMidRoundFailsThatRoundAndRejoinsAfterARestart() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    ClientApp hangs =
        ins -> {
          started.countDown();
          new CountDownLatch(1).await(); // until its stream is cut
          return null;
        };
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      net.node("a", adder("a", 1, 1), new Events());
      ClientNode b = net.node("b", hangs, new Events());
      assertTrue(net.federation.awaitConnected(2, Duration.ofMinutes(1)));
      Thread killer =
          new Thread(
              () -> {
                try {
                  started.await();
                  b.close(); // the node goes away while the server waits for its reply
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      killer.start();
      FedAvg strategy = strategy(1);
      try (FederatedRound driver = driver(net, strategy, OPTIONS, List.of("a", "b"))) {
        RoundReport r1 = driver.run(strategy.initialize(INITIAL));
        killer.join();
        assertEquals(List.of("a"), r1.accepted());
        ClientFailure f = failureOf(r1, "b");
        assertEquals(ClientFailure.Kind.DROPPED, f.kind());
        // The request's number depends on which client the driver called first.
        assertTrue(
            f.reason()
                .matches(
                    "fit dropped: node b was lost before it answered fit"
                        + " request [0-9]+ \\(round 1\\).*"),
            f.reason());
        // Already gone from the connected nodes when its request failed: a server that waits
        // after this round for every node to connect (--rejoin-wait-seconds) must not count the
        // lost stream (DeployCliTest's killed client was once sampled as "not connected" in the
        // next round because it did).
        assertFalse(net.federation.connectedNodes().contains("b"), "b is still connected");
        net.serverEvents.await(Events.is(TransportEvent.Kind.DISCONNECTED, "b"));

        // b is not connected: the next round fails it at once
        RoundReport r2 = driver.run(r1.state());
        assertEquals("fit dropped: node b is not connected", failureOf(r2, "b").reason());
        assertEquals(ClientFailure.Kind.DROPPED, failureOf(r2, "b").kind());

        // restarted, it rejoins
        net.node("b", adder("b", 2, 1), new Events());
        net.serverEvents.await(
            Events.is(TransportEvent.Kind.CONNECTED, "b"), 2, Duration.ofMinutes(1));
        RoundReport r3 = driver.run(r2.state());
        assertEquals(List.of("a", "b"), r3.accepted());
      }
    }
  }

  /**
   * The server tells every node its run's labels (and frozen model) when it welcomes it; a node
   * whose welcome check throws refuses the run: it stops for good with that reason, and the server
   * sees it go with the node's reason (QA, 2 December: the server saw only "the node's stream was
   * cancelled").
   */
  @Test
  void aNodeLearnsTheRunsLabelsAndCanRefuseTheRun() throws Exception {
    RunInfo run = new RunInfo(List.of("t0", "t1", "weather"), List.of(), null, Map.of(), "ab bf16");
    try (InProcess net = new InProcess(FederationServer.Options.defaults().withRunInfo(run))) {
      List<RunInfo> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      Events events = new Events();
      ClientNode a =
          net.node(
              ClientNode.Options.defaults("a")
                  .withBackoff(InProcess.FAST)
                  .withListener(events)
                  .withOnWelcome(seen::add),
              adder("a", 1, 1));
      ClientNode b =
          net.node(
              ClientNode.Options.defaults("b")
                  .withBackoff(InProcess.FAST)
                  .withListener(events)
                  .withOnWelcome(
                      info -> {
                        throw new IllegalArgumentException("b.jsonl:2: label \"snow\" is unknown");
                      }),
              adder("b", 1, 1));
      assertEquals(null, b.awaitFinished());
      assertEquals("b.jsonl:2: label \"snow\" is unknown", b.refusal());
      assertTrue(
          events
              .await(Events.is(TransportEvent.Kind.REFUSED, "b"))
              .detail()
              .contains("refuses the server's run: b.jsonl:2"));
      assertEquals(
          "the node refuses this run: b.jsonl:2: label \"snow\" is unknown (not counted as"
              + " connected; it may connect again once fixed)",
          net.serverEvents.await(Events.is(TransportEvent.Kind.REFUSED, "b")).detail());
      assertEquals(Map.of("b", "b.jsonl:2: label \"snow\" is unknown"), net.federation.refusals());
      assertEquals(0, events.count(Events.is(TransportEvent.Kind.CONNECT_FAILED, "b")));
      events.await(Events.is(TransportEvent.Kind.CONNECTED, "a"));
      assertEquals(List.of(run), seen);
      assertEquals(null, a.refusal());
      assertTrue(a.isConnected());
    }
  }

  /**
   * User audit, 4 December: a node welcomed and then refusing the run counted as connected between
   * its WELCOME and its REFUSED, so a server waiting for its last node started round 1 with it and
   * dropped it in every round. A node counts only once it accepts the run (READY): while its
   * welcome check runs it is not connected, and once it refuses it never was.
   */
  @Test
  void aNodeCountsAsConnectedOnlyOnceItAcceptsTheRun() throws Exception {
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      Events events = new Events();
      net.node("a", adder("a", 1, 1), events);
      assertTrue(net.federation.awaitConnected(List.of("a"), Duration.ofMinutes(1)));
      for (boolean accepts : new boolean[] {false, true}) {
        String id = accepts ? "c" : "b";
        CountDownLatch checking = new CountDownLatch(1);
        CountDownLatch decide = new CountDownLatch(1);
        ClientNode n =
            net.node(
                ClientNode.Options.defaults(id)
                    .withBackoff(InProcess.FAST)
                    .withListener(events)
                    .withOnWelcome(
                        info -> {
                          checking.countDown();
                          try {
                            decide.await();
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                          }
                          if (!accepts) {
                            throw new IllegalArgumentException("the run gives " + id + " others");
                          }
                        }),
                adder(id, 1, 1));
        assertTrue(checking.await(1, TimeUnit.MINUTES));
        // welcomed, still checking the run: not connected
        assertFalse(net.federation.awaitConnected(2, Duration.ZERO));
        assertEquals(Set.of("a"), net.federation.connectedNodes());
        decide.countDown();
        if (accepts) {
          assertTrue(net.federation.awaitConnected(List.of("a", "c"), Duration.ofMinutes(1)));
          assertEquals(Set.of("b"), net.federation.refusals().keySet());
        } else {
          assertNull(n.awaitFinished());
          net.serverEvents.await(Events.is(TransportEvent.Kind.REFUSED, "b"));
          assertEquals(Set.of("a"), net.federation.connectedNodes());
          assertEquals(Map.of("b", "the run gives b others"), net.federation.refusals());
          assertFalse(net.federation.awaitConnected(2, Duration.ZERO));
          assertEquals(0, net.serverEvents.count(Events.is(TransportEvent.Kind.CONNECTED, "b")));
        }
      }
    }
  }

  /** Runs one round with node "x" answered by a raw node; returns x's failure. */
  private static ClientFailure rawRound(
      FederationServer.Options options, int rounds, RawNode.Responder responder) throws Exception {
    try (InProcess net = new InProcess(options)) {
      net.node("a", adder("a", 1, 1), new Events());
      net.raw("x", responder).awaitWelcome();
      assertTrue(net.federation.awaitConnected(2, Duration.ofMinutes(1)));
      FedAvg strategy = strategy(1);
      try (FederatedRound driver = driver(net, strategy, OPTIONS, List.of("a", "x"))) {
        ServerState s = strategy.initialize(INITIAL);
        RoundReport r = null;
        for (int i = 0; i < rounds; i++) {
          r = driver.run(s);
          s = r.state();
        }
        assertTrue(r.accepted().contains("a"));
        return failureOf(r, "x");
      } finally {
        assertTrue(
            net.serverEvents.count(e -> e.kind() == TransportEvent.Kind.REJECTED) > 0,
            net.serverEvents.all().toString());
      }
    }
  }

  /** A correct update for the request, as bytes. */
  private static byte[] goodReply(byte[] request) {
    try {
      return adder("x", 1, 1).fit(FitInstructions.fromBytes(request, "test")).toBytes();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aReplyTaggedWithAnotherRoundIsRejected() throws Exception {
    ClientFailure f =
        rawRound(
            FederationServer.Options.defaults(),
            1,
            (first, message, i) ->
                RawNode.reply(
                    first.runId(),
                    first.requestId(),
                    first.round() + 1,
                    first.phase(),
                    goodReply(message),
                    1 << 20));
    assertEquals(ClientFailure.Kind.ERROR, f.kind());
    assertTrue(
        f.reason()
            .matches(
                "fit threw MessageRejectedException: the fit request \\d+ \\(round 1\\) reply from"
                    + " node x is tagged round 2; the request was for round 1"),
        f.reason());
  }

  @Test
  void aReplyForAnotherRunIsRejected() throws Exception {
    ClientFailure f =
        rawRound(
            FederationServer.Options.defaults().withRunId("run-2"),
            1,
            (first, message, i) ->
                RawNode.reply(
                    "run-1",
                    first.requestId(),
                    first.round(),
                    first.phase(),
                    goodReply(message),
                    1 << 20));
    assertTrue(f.reason().endsWith("is tagged with run 'run-1'; this run is 'run-2'"), f.reason());
  }

  @Test
  void aDuplicateReplyIsRejected() throws Exception {
    List<List<Frame>> sent = new ArrayList<>();
    ClientFailure f =
        rawRound(
            FederationServer.Options.defaults(),
            2,
            (first, message, i) -> {
              List<Frame> reply =
                  RawNode.reply(
                      first.runId(),
                      first.requestId(),
                      first.round(),
                      first.phase(),
                      goodReply(message),
                      64);
              List<Frame> out = new ArrayList<>();
              if (i == 1) {
                out.addAll(sent.get(0)); // round 2: the reply of round 1 again, then the right one
              }
              out.addAll(reply);
              sent.add(reply);
              return out;
            });
    assertTrue(
        f.reason()
            .matches(
                "fit threw MessageRejectedException: node x sent a duplicate reply to fit request"
                    + " \\d+ \\(round 1\\), which was already answered"),
        f.reason());
  }

  @Test
  void aReplayedReplyToARequestNeverSentIsRejected() throws Exception {
    ClientFailure f =
        rawRound(
            FederationServer.Options.defaults(),
            1,
            (first, message, i) ->
                RawNode.reply(
                    first.runId(), 999, first.round(), first.phase(), goodReply(message), 1 << 20));
    assertEquals(
        "fit threw MessageRejectedException: node x sent a reply to request 999, which was never"
            + " sent to node x on this stream (a replay or a forged reply)",
        f.reason());
  }

  @Test
  void chunksOutOfOrderAreRejected() throws Exception {
    ClientFailure f =
        rawRound(
            FederationServer.Options.defaults(),
            1,
            (first, message, i) -> {
              List<Frame> frames =
                  new ArrayList<>(
                      RawNode.reply(
                          first.runId(),
                          first.requestId(),
                          first.round(),
                          first.phase(),
                          goodReply(message),
                          16));
              frames.remove(1); // a gap
              return frames;
            });
    assertTrue(f.reason().endsWith(": a chunk at offset 32, expected 16"), f.reason());
  }

  @Test
  void anOversizedReplyIsRejectedAtItsFirstChunk() throws Exception {
    ClientApp big = ins -> new ClientUpdate("a", Map.of("w", vec(new float[1000])), 1);
    try (InProcess net =
        new InProcess(FederationServer.Options.defaults().withMaxMessageBytes(2048))) {
      net.node("a", big, new Events());
      assertTrue(net.federation.awaitConnected(1, Duration.ofMinutes(1)));
      ClientFailure f = failedAlone(net, "a");
      assertTrue(
          f.reason()
              .matches(
                  "fit threw MessageRejectedException: the fit request \\d+ \\(round 1\\) reply"
                      + " from node a of \\d+ bytes exceeds the limit of 2048 bytes"),
          f.reason());
    }
  }

  @Test
  void anOversizedRequestIsRefusedByTheNode() throws Exception {
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      Events nodeEvents = new Events();
      net.node(
          ClientNode.Options.defaults("a")
              .withBackoff(InProcess.FAST)
              .withListener(nodeEvents)
              .withMaxMessageBytes(64),
          adder("a", 1, 1));
      assertTrue(net.federation.awaitConnected(1, Duration.ofMinutes(1)));
      ClientFailure f = failedAlone(net, "a");
      assertTrue(
          f.reason()
              .matches(
                  "fit threw RemoteClientException: node a: the FIT request \\d+ of round 1 of"
                      + " \\d+ bytes exceeds the limit of 64 bytes"),
          f.reason());
      nodeEvents.await(Events.is(TransportEvent.Kind.REJECTED, "a"));
    }
  }

  /** Runs a round of node {@code id} alone with min_clients 1 and returns its failure. */
  private static ClientFailure failedAlone(InProcess net, String id) throws Exception {
    FedAvg strategy = strategy(1);
    try (FederatedRound driver = driver(net, strategy, OPTIONS, List.of(id))) {
      driver.run(strategy.initialize(INITIAL));
      throw new AssertionError("the round should have failed");
    } catch (RoundFailedException e) {
      assertEquals(1, e.failures().size(), e.failures().toString());
      return e.failures().get(0);
    }
  }

  @Test
  void failuresDeclinesAndInvalidUpdatesKeepTheirReasons() throws Exception {
    try (InProcess net =
        new InProcess(
            FederationServer.Options.defaults().withPopulation(List.of("a", "c", "d", "e", "f")))) {
      Events nodeEvents = new Events();
      net.node("a", adder("a", 1, 1), nodeEvents);
      net.node(
          "c",
          ins -> {
            throw new IllegalStateException("training diverged: loss is NaN at step 3");
          },
          nodeEvents);
      net.node(
          "d",
          ins -> {
            throw new ClientDeclinedException("privacy budget spent");
          },
          nodeEvents);
      net.node("e", ins -> new ClientUpdate("e", Map.of("w", vec(Float.NaN, 0, 0)), 1), nodeEvents);
      net.node("f", ins -> new ClientUpdate("a", Map.of("w", vec(0, 0, 0)), 1), nodeEvents);
      assertTrue(net.federation.awaitConnected(5, Duration.ofMinutes(1)));
      List<String> ids = List.of("a", "c", "d", "e", "f", "ghost");
      FedAvg strategy = strategy(1);
      try (FederatedRound driver = driver(net, strategy, OPTIONS, ids)) {
        RoundReport r = driver.run(strategy.initialize(INITIAL));
        assertEquals(List.of("a"), r.accepted());
        assertEquals(
            "fit threw RemoteClientException: node c: IllegalStateException: training diverged:"
                + " loss is NaN at step 3",
            failureOf(r, "c").reason());
        assertEquals(ClientFailure.Kind.DECLINED, failureOf(r, "d").kind());
        assertEquals("node d: privacy budget spent", failureOf(r, "d").reason());
        assertEquals(ClientFailure.Kind.REJECTED, failureOf(r, "e").kind());
        assertEquals("tensor 'w' has NaN at index 0", failureOf(r, "e").reason());
        assertEquals("replied under client id 'a'", failureOf(r, "f").reason());
        assertEquals("fit dropped: node ghost is not connected", failureOf(r, "ghost").reason());
        assertEquals(ClientFailure.Kind.DROPPED, failureOf(r, "ghost").kind());
      }
    }
  }

  @Test
  void aNodeOutsideThePopulationIsRefused() throws Exception {
    try (InProcess net =
        new InProcess(FederationServer.Options.defaults().withPopulation(List.of("a")))) {
      Events nodeEvents = new Events();
      ClientNode z = net.node("z", adder("z", 1, 1), nodeEvents);
      TransportEvent refused = nodeEvents.await(Events.is(TransportEvent.Kind.REFUSED, "z"));
      // QA, 2 December: a refused node tried again forever; it stops, saying why
      assertNull(z.awaitFinished());
      assertEquals(
          "the server refused this node: node 'z' is not in this federation's population [a]",
          z.refusal());
      assertEquals(0, nodeEvents.count(e -> e.kind() == TransportEvent.Kind.CONNECT_FAILED));
      z.close();
      assertTrue(
          refused.detail().contains("node 'z' is not in this federation's population [a]"),
          refused.detail());
      net.serverEvents.await(Events.is(TransportEvent.Kind.REFUSED, "z"));
      assertEquals(List.of(), List.copyOf(net.federation.connectedNodes()));
    }
  }

  @Test
  void aNodeReconnectsAfterTheServerRestarts() throws Exception {
    try (InProcess net = new InProcess(FederationServer.Options.defaults().withRunId("first"))) {
      Events nodeEvents = new Events();
      ClientNode a = net.node("a", adder("a", 1, 1), nodeEvents);
      nodeEvents.await(Events.is(TransportEvent.Kind.CONNECTED, "a"));
      assertTrue(a.isConnected());
      net.stopServer();
      nodeEvents.await(Events.is(TransportEvent.Kind.DISCONNECTED, "a"));
      net.startServer(FederationServer.Options.defaults().withRunId("second"));
      TransportEvent again =
          nodeEvents.await(Events.is(TransportEvent.Kind.CONNECTED, "a"), 2, Duration.ofMinutes(1));
      assertTrue(again.detail().endsWith("to run second"), again.detail());
      assertTrue(net.federation.awaitConnected(List.of("a"), Duration.ofMinutes(1)));
      FedAvg strategy = strategy(1);
      try (FederatedRound driver = driver(net, strategy, OPTIONS, List.of("a"))) {
        assertEquals(List.of("a"), driver.run(strategy.initialize(INITIAL)).accepted());
      }
    }
  }

  @Test
  void aSecondStreamOfTheSameNodeReplacesTheFirst() throws Exception {
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      Events first = new Events();
      ClientNode displaced = net.node("a", adder("a", 1, 1), first);
      // The server's CONNECTED, not the node's: the node says CONNECTED when it sends READY, and
      // the second stream must come after the server took this READY.
      net.serverEvents.await(Events.is(TransportEvent.Kind.CONNECTED, "a"));
      net.node("a", adder("a", 1, 1), new Events());
      net.serverEvents.await(
          Events.is(TransportEvent.Kind.CONNECTED, "a"), 2, Duration.ofMinutes(1));
      TransportEvent lost = first.await(Events.is(TransportEvent.Kind.DISCONNECTED, "a"));
      assertTrue(
          lost.detail().contains("node a connected again on a new stream")
              && lost.detail().endsWith("not reconnecting: another process holds identity 'a'"),
          lost.detail());
      assertTrue(net.federation.awaitConnected(List.of("a"), Duration.ofMinutes(1)));
      assertEquals(1, net.serverEvents.count(Events.is(TransportEvent.Kind.DISCONNECTED, "a")));
      assertEquals(0, first.count(e -> e.kind() == TransportEvent.Kind.CONNECT_FAILED));
      // QA, 2 December: the displaced process never ended; it stops, saying why
      assertNull(displaced.awaitFinished());
      assertTrue(
          displaced.refusal().startsWith("another process connected as 'a'"), displaced.refusal());
    }
  }

  @Test
  void aReadyOvertakenByANewerStreamOfTheSameNodeEndsTheOlderStream() throws Exception {
    // CI, 4 December: the second stream's READY reached the server before the first one's, and the
    // first stream then displaced the second; the stream that said HELLO last must stay.
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      RawNode older = net.raw("a", (first, message, index) -> List.of(), false);
      older.awaitWelcome();
      Events newerEvents = new Events();
      net.node("a", adder("a", 1, 1), newerEvents);
      net.serverEvents.await(Events.is(TransportEvent.Kind.CONNECTED, "a"));
      older.sendReady();
      Throwable ended = older.awaitEnd();
      assertNotNull(ended, "the older stream completed instead of being replaced");
      assertEquals(
          Status.Code.ABORTED, Status.fromThrowable(ended).getCode(), String.valueOf(ended));
      assertEquals(
          "node a connected again on a new stream", Status.fromThrowable(ended).getDescription());
      assertTrue(net.federation.awaitConnected(List.of("a"), Duration.ofMinutes(1)));
      assertEquals(1, net.serverEvents.count(Events.is(TransportEvent.Kind.CONNECTED, "a")));
      assertEquals(0, newerEvents.count(Events.is(TransportEvent.Kind.DISCONNECTED, "a")));
    }
  }

  /**
   * A node welcomed whose READY had not reached the server when the run finished was not told that
   * the run is over (finish told the connected nodes only): it got "the server is shutting down",
   * the answer that makes a node reconnect, to a server about to exit. Every stream welcomed to the
   * run is told, two of the same identity included, and the late READY is ignored.
   */
  @Test
  void aNodeWelcomedWhoseReadyComesAfterTheRunFinishedIsToldSo() throws Exception {
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      RawNode older = net.raw("a", (first, message, index) -> List.of(), false);
      older.awaitWelcome();
      RawNode newer = net.raw("a", (first, message, index) -> List.of(), false);
      newer.awaitWelcome();
      net.federation.finish("the run completed 3 rounds");
      for (RawNode n : List.of(newer, older)) {
        n.sendReady(); // arrives after the finish
        assertNull(n.awaitEnd(), "the stream failed instead of ending with DONE");
        assertEquals(List.of("the run completed 3 rounds"), n.texts(Frame.Type.DONE));
      }
      assertEquals(Set.of("a"), net.federation.toldNodes());
      assertEquals(2, net.serverEvents.count(Events.is(TransportEvent.Kind.FINISHED, "a")));
      assertEquals(0, net.serverEvents.count(Events.is(TransportEvent.Kind.CONNECTED, "a")));
    }
  }

  /** A server that closes ends every stream it welcomed, two of the same identity included. */
  @Test
  void closingTheServerEndsEveryWelcomedStream() throws Exception {
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      RawNode older = net.raw("a", (first, message, index) -> List.of(), false);
      older.awaitWelcome();
      RawNode newer = net.raw("a", (first, message, index) -> List.of(), false);
      newer.awaitWelcome();
      net.federation.close();
      for (RawNode n : List.of(older, newer)) {
        Throwable ended = n.awaitEnd();
        assertNotNull(ended, "the stream completed instead of failing");
        assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(ended).getCode());
        assertEquals("the server is shutting down", Status.fromThrowable(ended).getDescription());
      }
    }
  }

  @Test
  void finishingTheRunStopsTheNodes() throws Exception {
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      Events nodeEvents = new Events();
      ClientNode a = net.node("a", adder("a", 1, 1), nodeEvents);
      assertTrue(net.federation.awaitConnected(1, Duration.ofMinutes(1)));
      net.federation.finish("the run completed 3 rounds");
      assertEquals("the run completed 3 rounds", a.awaitFinished());
      nodeEvents.await(Events.is(TransportEvent.Kind.FINISHED, "a"));
      net.serverEvents.await(Events.is(TransportEvent.Kind.FINISHED, "a"));
      assertEquals(0, nodeEvents.count(e -> e.kind() == TransportEvent.Kind.CONNECT_FAILED));
    }
  }
}
