package org.fedpeft.federation;

import static org.fedpeft.federation.CommunicationLog.Direction.DOWN;
import static org.fedpeft.federation.CommunicationLog.Direction.UP;
import static org.fedpeft.federation.Fx.assertTensor;
import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class FederatedRoundTest {

  private static final Map<String, HostTensor> INITIAL = Fx.tensors("w", vec(0, 0), "h", vec(1));

  /** A client that sends w + offset * round, deterministic in its instructions. */
  static ClientApp adder(String id, float offset, long examples) {
    return ins -> {
      HostTensor w = ins.tensors().get("w");
      float[] d = w.data().clone();
      for (int i = 0; i < d.length; i++) {
        d[i] += offset * ins.round();
      }
      return new ClientUpdate(
          id,
          Map.of("w", new HostTensor(w.shape(), d)),
          examples,
          Map.of("train_loss", (double) offset),
          Map.of());
    };
  }

  /**
   * A client timeout that only a client blocked for good reaches: the well-behaved clients of these
   * tests finish in microseconds, so only a machine stalled for 2 s (a long collection pause under
   * load) times them out. For the tests whose round must wait out a blocked client.
   */
  private static FederatedRound.Options fast(int parallelism) {
    return new FederatedRound.Options(Duration.ofMillis(2000), parallelism, true);
  }

  /**
   * A client timeout no client of the test reaches, for the tests where every client returns or
   * fails by itself: a stalled machine cannot turn one of them into a timeout.
   */
  private static FederatedRound.Options unhurried(int parallelism) {
    return new FederatedRound.Options(Duration.ofMinutes(5), parallelism, true);
  }

  @Test
  void faultyClientsAreExcludedWithReasons() throws InterruptedException {
    CountDownLatch sleeperInterrupted = new CountDownLatch(1);
    Map<String, ClientApp> clients = new TreeMap<>();
    clients.put("a", adder("a", 1, 1));
    clients.put("b", adder("b", 3, 1));
    clients.put(
        "c",
        ins -> {
          throw new IllegalStateException("training diverged: loss is NaN at step 3");
        });
    clients.put(
        "d",
        ins -> {
          try {
            new CountDownLatch(1).await(); // blocks until the driver interrupts it
          } catch (InterruptedException e) {
            sleeperInterrupted.countDown();
            throw e;
          }
          return null;
        });
    clients.put("e", ins -> new ClientUpdate("e", Map.of("w", vec(Float.NaN, 0)), 1));
    clients.put("f", ins -> new ClientUpdate("f", Map.of("w", vec(1, 2, 3)), 1));
    clients.put("g", ins -> null);
    clients.put("h", ins -> new ClientUpdate("a", Map.of("w", vec(9, 9)), 1));

    FedAvg strategy =
        new FedAvg(StrategyOptions.defaults().withWeighting(Weighting.UNIFORM).withMinClients(2));
    CommunicationLog log = new CommunicationLog();
    try (FederatedRound driver =
        new FederatedRound(strategy, clients, new ClientSampler(1, 100), log, fast(1))) {
      // The sleeper never finishes by itself: the round returning at all shows it was not held up.
      RoundReport r = driver.run(strategy.initialize(INITIAL));
      assertEquals(List.of("a", "b", "c", "d", "e", "f", "g", "h"), r.sampled());
      assertEquals(List.of("a", "b"), r.accepted());
      // (0 + 1) and (0 + 3) averaged
      assertTensor(vec(2, 2), r.state().global().get("w"));
      Map<String, ClientFailure> f = new TreeMap<>();
      r.failures().forEach(x -> f.put(x.clientId(), x));
      assertEquals(6, f.size());
      assertEquals(ClientFailure.Kind.ERROR, f.get("c").kind());
      assertEquals(
          "fit threw IllegalStateException: training diverged: loss is NaN at step 3",
          f.get("c").reason());
      assertEquals(ClientFailure.Kind.TIMEOUT, f.get("d").kind());
      assertEquals("fit did not finish within 2000 ms", f.get("d").reason());
      assertEquals(ClientFailure.Kind.REJECTED, f.get("e").kind());
      assertEquals("tensor 'w' has NaN at index 0", f.get("e").reason());
      assertEquals("tensor 'w' has shape [3], expected [2]", f.get("f").reason());
      assertEquals("fit returned no update", f.get("g").reason());
      assertEquals("replied under client id 'a'", f.get("h").reason());
      assertEquals(2.0, r.metrics().get("train_loss"));
      assertEquals(8.0, r.metrics().get("server.clients_sampled"));
      assertTrue(r.toJson().contains("\"kind\":\"timeout\""), r.toJson());
    }
    assertTrue(sleeperInterrupted.await(1, TimeUnit.MINUTES), "a timed-out client is interrupted");
  }

  @Test
  void aClientIgnoringInterruptsDoesNotBlockTheOthers() throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    Map<String, ClientApp> clients = new TreeMap<>();
    clients.put("a", adder("a", 1, 1));
    clients.put(
        "b",
        ins -> {
          while (!stop.get()) {
            Thread.onSpinWait();
          }
          return null;
        });
    clients.put("c", adder("c", 3, 1));
    FedAvg strategy = new FedAvg(StrategyOptions.defaults().withMinClients(2));
    try (FederatedRound driver =
        new FederatedRound(
            strategy, clients, new ClientSampler(1, 3), new CommunicationLog(), fast(1))) {
      RoundReport r = driver.run(strategy.initialize(INITIAL));
      assertEquals(List.of("a", "c"), r.accepted());
      assertEquals(ClientFailure.Kind.TIMEOUT, r.failures().get(0).kind());
    } finally {
      stop.set(true);
    }
  }

  @Test
  void byteCountsAreTheSerializedSizesOfTheMessages() throws InterruptedException {
    for (boolean serialize : new boolean[] {true, false}) {
      Map<String, ClientUpdate> sent = new ConcurrentHashMap<>();
      Map<String, ClientApp> clients = new TreeMap<>();
      for (String id : List.of("a", "b", "c")) {
        ClientApp inner = adder(id, id.charAt(0), 10);
        clients.put(
            id,
            ins -> {
              ClientUpdate u = inner.fit(ins);
              sent.put(id, u);
              return u;
            });
      }
      FfaLora strategy = new FfaLora(StrategyOptions.defaults());
      ServerState s0 =
          strategy.initialize(
              Fx.tensors(
                  "w", vec(0, 0),
                  "m.lora_A", Fx.mat(1, 2, 1, 2),
                  "m.lora_B", Fx.mat(3, 1, 0, 0, 0)));
      CommunicationLog log = new CommunicationLog();
      ClientSampler sampler = new ClientSampler(5, 2);
      try (FederatedRound driver =
          new FederatedRound(
              strategy,
              clients,
              sampler,
              log,
              new FederatedRound.Options(Duration.ofMinutes(5), 2, serialize))) {
        RoundReport r = driver.run(s0);
        Map<String, FitInstructions> expected = strategy.configureRound(s0, 1, r.sampled());
        long down = 0;
        long up = 0;
        for (String id : r.sampled()) {
          long d = expected.get(id).toBytes().length;
          long u = sent.get(id).toBytes().length;
          assertEquals(d, log.bytes(1, id, DOWN), id);
          assertEquals(u, log.bytes(1, id, UP), id);
          down += d;
          up += u;
        }
        assertEquals(down, r.bytesDown());
        assertEquals(up, r.bytesUp());
        assertEquals(down, log.total(DOWN));
        assertEquals(up, log.total(UP));
        // the downlink carries no frozen A: the instructions hold w and B only
        assertEquals(
            List.of("m.lora_B", "w"),
            List.copyOf(expected.get(r.sampled().get(0)).tensors().keySet()));
      }
    }
  }

  private static Map<String, ClientApp> jitteryClients() {
    Map<String, ClientApp> clients = new TreeMap<>();
    float[] offsets = {0.1f, 0.7f, -0.3f, 1.1f};
    long[] examples = {3, 5, 7, 11};
    for (int i = 0; i < 4; i++) {
      String id = "c" + i;
      ClientApp inner = adder(id, offsets[i], examples[i]);
      long delay = (3 - i) * 15L;
      clients.put(
          id,
          ins -> {
            Thread.sleep(delay); // later ids finish first when run in parallel
            return inner.fit(ins);
          });
    }
    return clients;
  }

  private static ServerState runRounds(
      Strategy strategy, ServerState state, int rounds, int parallelism)
      throws InterruptedException {
    try (FederatedRound driver =
        new FederatedRound(
            strategy,
            jitteryClients(),
            new ClientSampler(99, 3),
            new CommunicationLog(),
            unhurried(parallelism))) {
      for (int i = 0; i < rounds; i++) {
        state = driver.run(state).state();
      }
    }
    return state;
  }

  @Test
  void resultsDoNotDependOnParallelismAndResumeIsBitExact() throws InterruptedException {
    Strategy strategy =
        new FedAvg(
            StrategyOptions.defaults()
                .withServerOptimizer(ServerOptimizer.fedAdam(0.05, 0.9, 0.99, 1e-3)));
    ServerState s0 = strategy.initialize(INITIAL);
    ServerState sequential = runRounds(strategy, s0, 3, 1);
    ServerState parallel = runRounds(strategy, s0, 3, 4);
    assertEquals(3, sequential.round());
    assertEquals(sequential.fingerprint(), parallel.fingerprint());

    ServerState afterTwo = runRounds(strategy, s0, 2, 2);
    ServerState restored = ServerState.fromBytes(afterTwo.toBytes(), "checkpoint");
    ServerState resumed = runRounds(strategy, restored, 1, 3);
    assertEquals(sequential, resumed);
  }

  @Test
  void tooFewSuccessfulClientsFailTheRound() throws InterruptedException {
    Map<String, ClientApp> clients = new TreeMap<>();
    clients.put("a", adder("a", 1, 1));
    clients.put(
        "b",
        ins -> {
          throw new RuntimeException("disk full");
        });
    clients.put("c", ins -> new ClientUpdate("c", Map.of("w", vec(Float.POSITIVE_INFINITY, 0)), 1));
    FedAvg strategy = new FedAvg(StrategyOptions.defaults().withMinClients(2));
    ServerState s0 = strategy.initialize(INITIAL);
    byte[] before = s0.toBytes();
    CommunicationLog log = new CommunicationLog();
    try (FederatedRound driver =
        new FederatedRound(strategy, clients, new ClientSampler(1, 3), log, unhurried(3))) {
      RoundFailedException e = assertThrows(RoundFailedException.class, () -> driver.run(s0));
      assertTrue(e.getMessage().contains("b (error: fit threw RuntimeException: disk full)"));
      assertTrue(e.getMessage().contains("c (rejected: tensor 'w' has Infinity at index 0)"));
    }
    assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(s0.toBytes()));
    assertEquals(3, log.entries().stream().filter(x -> x.direction() == DOWN).count());
  }

  /**
   * An update whose wire form cannot be written (a tensor named like the format's metadata) fails
   * that client, serialized or not, with nothing logged for its reply; the round goes on without
   * it.
   */
  @Test
  void anUpdateThatCannotBeEncodedFailsItsClientOnly() throws InterruptedException {
    for (boolean serialize : new boolean[] {true, false}) {
      Map<String, ClientApp> clients = new TreeMap<>();
      clients.put("a", adder("a", 1, 1));
      clients.put("b", adder("b", 3, 1));
      clients.put("c", ins -> new ClientUpdate("c", Map.of("__metadata__", vec(1, 2)), 1));
      FedAvg strategy = new FedAvg(StrategyOptions.defaults());
      CommunicationLog log = new CommunicationLog();
      try (FederatedRound driver =
          new FederatedRound(
              strategy,
              clients,
              new ClientSampler(1, 3),
              log,
              new FederatedRound.Options(Duration.ofMinutes(5), 3, serialize))) {
        RoundReport r = driver.run(strategy.initialize(INITIAL));
        assertEquals(1, r.failures().size(), r.failures().toString());
        ClientFailure f = r.failures().get(0);
        assertEquals("c", f.clientId());
        assertTrue(f.reason().startsWith("sent an update that cannot be encoded: "), f.reason());
        assertEquals(List.of("a", "b"), r.accepted(), "serialize " + serialize);
      }
      assertEquals(3, log.entries().stream().filter(x -> x.direction() == DOWN).count());
      assertEquals(
          List.of("a", "b"),
          log.entries().stream()
              .filter(x -> x.direction() == UP)
              .map(CommunicationLog.Entry::clientId)
              .sorted()
              .toList());
    }
  }

  @Test
  void aPopulationSmallerThanTheMinimumIsAConfigurationError() {
    FedAvg strategy = new FedAvg(StrategyOptions.defaults().withMinClients(2));
    try (FederatedRound driver =
        new FederatedRound(
            strategy,
            Map.of("a", adder("a", 1, 1)),
            new ClientSampler(1, 3),
            new CommunicationLog(),
            unhurried(1))) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> driver.run(strategy.initialize(INITIAL)));
      assertTrue(e.getMessage().contains("needs at least 2"), e.getMessage());
    }
  }

  @Test
  void federatedEvaluationWeighsByExamples() throws InterruptedException {
    Map<String, ClientApp> clients = new TreeMap<>();
    for (String id : List.of("a", "b", "c")) {
      long n = id.equals("a") ? 10 : 30;
      double acc = id.equals("a") ? 0.5 : 0.9;
      clients.put(
          id,
          new ClientApp() {
            @Override
            public ClientUpdate fit(FitInstructions instructions) {
              throw new UnsupportedOperationException();
            }

            @Override
            public EvaluateResult evaluate(EvaluateInstructions instructions) {
              assertNotNull(instructions.tensors().get("w"));
              if (id.equals("c")) {
                throw new IllegalStateException("no test data");
              }
              return new EvaluateResult(id, n, Map.of("accuracy", acc));
            }
          });
    }
    FedAvg strategy = new FedAvg(StrategyOptions.defaults());
    CommunicationLog log = new CommunicationLog();
    try (FederatedRound driver =
        new FederatedRound(strategy, clients, new ClientSampler(1, 3), log, unhurried(1))) {
      EvaluationReport r = driver.evaluate(strategy.initialize(INITIAL), List.of("a", "b", "c"));
      // (10 * 0.5 + 30 * 0.9) / 40
      assertEquals(0.8, r.metrics().get("accuracy"), 1e-15);
      assertEquals(1, r.failures().size());
      assertEquals("c", r.failures().get(0).clientId());
      assertEquals(r.bytesDown(), log.total(DOWN));
      assertEquals(r.bytesUp(), log.total(UP));
    }
  }

  @Test
  void poissonRoundsWithTooFewClientsAreSkippedAndTheRoundNumberAdvances()
      throws InterruptedException {
    Map<String, ClientApp> clients = new TreeMap<>();
    for (String id : List.of("a", "b", "c", "d", "e")) {
      clients.put(id, adder(id, 1, 1));
    }
    FedAvg strategy = new FedAvg(StrategyOptions.defaults().withMinClients(2));
    ClientSampler sampler = ClientSampler.poisson(3, 1);
    CommunicationLog log = new CommunicationLog();
    try (FederatedRound driver =
        new FederatedRound(strategy, clients, sampler, log, unhurried(1))) {
      ServerState s = strategy.initialize(INITIAL);
      int skipped = 0;
      int ran = 0;
      for (int r = 1; r <= 40; r++) {
        RoundReport rep = driver.run(s);
        assertEquals(rep.skipped() ? 0 : 1, log.roundTotal(r, UP) > 0 ? 1 : 0, "round " + r);
        assertEquals(r, rep.round());
        assertEquals(r, rep.state().round());
        assertEquals(sampler.sample(clients.keySet(), r), rep.sampled());
        if (rep.sampled().size() < 2) {
          assertTrue(rep.skipped());
          assertEquals(List.of(), rep.accepted());
          assertEquals(0, rep.bytesUp() + rep.bytesDown());
          assertEquals(s.global(), rep.state().global());
          skipped++;
        } else {
          assertTrue(!rep.skipped());
          assertEquals(rep.sampled(), rep.accepted());
          ran++;
        }
        s = rep.state();
      }
      // q = 1/5: P(fewer than 2 of 5) = 0.8^5 + 5 * 0.2 * 0.8^4 = 0.737; both kinds occur.
      assertTrue(skipped > 0 && ran > 0, skipped + " skipped, " + ran + " ran");
    }
  }

  @Test
  void aDecliningClientIsReportedAsDeclinedAndTheRoundGoesOn() throws InterruptedException {
    Map<String, ClientApp> clients = new TreeMap<>();
    clients.put("a", adder("a", 1, 1));
    clients.put(
        "b",
        ins -> {
          throw new ClientDeclinedException("privacy budget spent: epsilon 7.9");
        });
    FedAvg strategy = new FedAvg(StrategyOptions.defaults());
    try (FederatedRound driver =
        new FederatedRound(
            strategy, clients, new ClientSampler(1, 2), new CommunicationLog(), unhurried(1))) {
      RoundReport r = driver.run(strategy.initialize(INITIAL));
      assertEquals(List.of("a"), r.accepted());
      assertEquals(
          List.of(
              new ClientFailure(
                  "b", ClientFailure.Kind.DECLINED, "privacy budget spent: epsilon 7.9")),
          r.failures());
    }
  }
}
