package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.federation.Aggregation;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientFailure;
import org.fedpeft.federation.ClientSampler;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.FedAvg;
import org.fedpeft.federation.FederatedRound;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.federation.ServerOptimizer;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * Client-level DP with Poisson client sampling charges q = m / N, an analysis that assumes a noisy
 * release every round: the clipped sum of whoever was drawn (possibly nobody) plus the noise. A
 * round that drew fewer than server.min_clients clients used to be skipped (nothing released or
 * charged) and one with fewer valid replies failed, so whether a round was released showed whether
 * a given client took part, which the accountant did not cover. Every such round now releases and
 * is charged; fixed-size sampling keeps its quorum.
 */
class ClientDpPoissonReleaseTest {

  private static final double CLIP = 0.5;
  private static final double Z = 1.3;
  private static final int M = 1;
  private static final int N = 5;

  /** Two tensors, so the order in which the noise is drawn (by name) is checked too. */
  private static final Map<String, HostTensor> INITIAL =
      Map.of(
          "a", new HostTensor(new long[] {2}, new float[] {0.25f, -1}),
          "b", new HostTensor(new long[] {3}, new float[] {2, 0, 0.5f}));

  private static ClientLevelDp.Config config(boolean poisson) {
    return new ClientLevelDp.Config(CLIP, Z, M, N, 1e-5, 0, false, 0.5, 0.2, 1.0, poisson);
  }

  /** Noise keyed on the round, as a seeded simulation draws it. */
  private static GaussianNoise noiseOf(int round) {
    return GaussianNoise.seededForTestsOnly(1000 + round);
  }

  private static ClientLevelDp dp(boolean poisson) {
    return new ClientLevelDp(config(poisson), ClientDpPoissonReleaseTest::noiseOf);
  }

  /** A client that adds {@code offset} to every value it receives. */
  private static ClientApp adder(String id, float offset) {
    return ins -> {
      Map<String, HostTensor> out = new TreeMap<>();
      ins.tensors()
          .forEach(
              (k, v) -> {
                float[] d = v.data().clone();
                for (int i = 0; i < d.length; i++) {
                  d[i] += offset;
                }
                out.put(k, new HostTensor(v.shape(), d));
              });
      return new ClientUpdate(id, out, 4);
    };
  }

  /** The noise {@link #noiseOf} draws for the round, std z C / m, tensor by tensor (by name). */
  private static Map<String, double[]> noiseDrawn(ServerState previous, int round) {
    GaussianNoise g = noiseOf(round);
    double std = Z * CLIP / M;
    Map<String, double[]> out = new TreeMap<>();
    for (var e : new TreeMap<>(previous.global()).entrySet()) {
      double[] n = new double[e.getValue().data().length];
      g.fill(n, std);
      out.put(e.getKey(), n);
    }
    return out;
  }

  /** previous + sum / m + noise, in double, rounded to float, as the release is computed. */
  private static float[] release(float[] previous, double[] clippedSum, double[] noise) {
    float[] y = new float[previous.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) (previous[i] + clippedSum[i] / M + noise[i]);
    }
    return y;
  }

  /** The release of a round without updates: the previous global plus the noise alone. */
  private static Map<String, float[]> previousPlusNoise(ServerState previous, int round) {
    Map<String, float[]> out = new TreeMap<>();
    noiseDrawn(previous, round)
        .forEach(
            (k, n) -> {
              float[] x = previous.global().get(k).data();
              out.put(k, release(x, new double[x.length], n));
            });
    return out;
  }

  @Test
  void aRoundThatDrawsNobodyReleasesThePreviousGlobalPlusTheNoiseAndIsCharged()
      throws InterruptedException {
    Map<String, ClientApp> clients = new TreeMap<>();
    for (String id : List.of("a", "b", "c", "d", "e")) {
      clients.put(id, adder(id, 1));
    }
    FedAvg strategy = new FedAvg(StrategyOptions.defaults().withAggregator(dp(true)));
    assertTrue(strategy.releasesEveryRound());
    ClientSampler sampler = ClientSampler.poisson(3, M);
    double q = (double) M / N;
    try (FederatedRound driver =
        new FederatedRound(
            strategy,
            clients,
            sampler,
            new CommunicationLog(),
            new FederatedRound.Options(Duration.ofMinutes(1), 1, true))) {
      ServerState s = strategy.initialize(INITIAL);
      RdpAccountant charged = new RdpAccountant();
      int empty = 0;
      // q = 1/5: a round draws nobody with probability 0.8^5 = 0.33.
      for (int r = 1; r <= 12; r++) {
        RoundReport rep = driver.run(s);
        assertFalse(rep.skipped(), "round " + r);
        assertEquals(sampler.sample(clients.keySet(), r), rep.sampled());
        assertEquals(rep.sampled(), rep.accepted());
        assertEquals(rep.sampled().size(), rep.metrics().get("server.clients_sampled"));
        assertEquals(rep.sampled().size(), rep.metrics().get("server.clients_accepted"));
        charged.step(q, Z, 1); // one step of (q, z) per round, as the accountant is charged
        assertEquals(charged, ClientLevelDp.accountant(rep.state()), "round " + r);
        assertEquals(charged.getEpsilon(1e-5), rep.metrics().get("dp_epsilon"), "round " + r);
        if (rep.sampled().isEmpty()) {
          empty++;
          assertEquals(0, rep.bytesUp() + rep.bytesDown());
          Map<String, float[]> expected = previousPlusNoise(s, r);
          assertEquals(expected.keySet(), rep.state().global().keySet());
          for (var e : expected.entrySet()) {
            assertArrayEquals(
                e.getValue(), rep.state().global().get(e.getKey()).data(), "round " + r);
            assertFalse(
                java.util.Arrays.equals(e.getValue(), s.global().get(e.getKey()).data()),
                "the release carries noise");
          }
          assertEquals(2.0, rep.metrics().get("server.tensors_updated"));
        }
        s = rep.state();
      }
      assertTrue(empty > 0, "some round drew nobody");
    }
  }

  @Test
  void aRoundWithFewerValidRepliesThanMinClientsReleasesAndIsCharged() {
    FedAvg strategy =
        new FedAvg(StrategyOptions.defaults().withMinClients(3).withAggregator(dp(true)));
    ServerState s = strategy.initialize(INITIAL);
    // One valid update (delta (3, 4) on a, 0 on b: norm 5, clipped to 0.5), one failure, one
    // rejected reply (a tensor the global state does not have).
    Map<String, HostTensor> moved =
        Map.of("a", new HostTensor(new long[] {2}, new float[] {3.25f, 3}), "b", INITIAL.get("b"));
    List<ClientUpdate> replies =
        List.of(
            new ClientUpdate("c1", moved, 7),
            new ClientUpdate("c3", Map.of("x", HostTensor.zeros(1)), 7));
    List<ClientFailure> failures =
        List.of(new ClientFailure("c2", ClientFailure.Kind.TIMEOUT, "fit did not finish"));
    Aggregation agg = strategy.aggregate(s, 1, replies, failures);
    assertEquals(List.of("c1"), agg.accepted());
    assertEquals(2, agg.failures().size());
    assertEquals(1.0, agg.metrics().get("server.clients_accepted"));
    Map<String, double[]> noise = noiseDrawn(s, 1);
    double factor = CLIP / 5.0;
    float[] expectedA =
        release(INITIAL.get("a").data(), new double[] {factor * 3, factor * 4}, noise.get("a"));
    assertArrayEquals(expectedA, agg.state().global().get("a").data());
    Map<String, float[]> noisy = previousPlusNoise(s, 1);
    assertArrayEquals(noisy.get("b"), agg.state().global().get("b").data());
    assertEquals(
        new RdpAccountant().step((double) M / N, Z, 1), ClientLevelDp.accountant(agg.state()));

    // No valid reply at all: the noise alone, charged.
    Aggregation none =
        strategy.aggregate(
            s, 1, List.of(), List.of(new ClientFailure("c2", ClientFailure.Kind.ERROR, "threw")));
    assertEquals(List.of(), none.accepted());
    for (var e : noisy.entrySet()) {
      assertArrayEquals(e.getValue(), none.state().global().get(e.getKey()).data());
    }
    assertEquals(1, ClientLevelDp.accountant(none.state()).totalSteps());
  }

  @Test
  void fixedSizeSamplingKeepsItsQuorum() {
    FedAvg strategy =
        new FedAvg(StrategyOptions.defaults().withMinClients(2).withAggregator(dp(false)));
    assertFalse(strategy.releasesEveryRound());
    ServerState s = strategy.initialize(INITIAL);
    RoundFailedException e =
        assertThrows(
            RoundFailedException.class,
            () -> strategy.aggregate(s, 1, List.of(new ClientUpdate("c1", INITIAL, 3)), List.of()));
    assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
  }

  /** Every server optimiser takes a round without updates: finite values, moments included. */
  @Test
  void everyServerOptimizerStepsTowardsANoiseOnlyRelease() {
    for (ServerOptimizer opt :
        List.of(
            ServerOptimizer.fedAvg(0.5),
            ServerOptimizer.fedAvgM(1.0, 0.9),
            ServerOptimizer.fedAdagrad(0.01, 0.9, 1e-3),
            ServerOptimizer.fedAdam(0.01, 0.9, 0.99, 1e-3),
            ServerOptimizer.fedYogi(0.01, 0.9, 0.99, 1e-3))) {
      FedAvg strategy =
          new FedAvg(StrategyOptions.defaults().withAggregator(dp(true)).withServerOptimizer(opt));
      ServerState s = strategy.initialize(INITIAL);
      for (int r = 1; r <= 3; r++) {
        ServerState next = strategy.aggregate(s, r, List.of(), List.of()).state();
        for (var e : next.global().entrySet()) {
          assertTrue(e.getValue().allFinite(), opt.describe() + ": " + e.getKey());
          assertFalse(
              java.util.Arrays.equals(e.getValue().data(), s.global().get(e.getKey()).data()),
              opt.describe() + " moves towards the noisy target");
        }
        for (var e : next.strategyTensors().entrySet()) {
          assertTrue(e.getValue().allFinite(), opt.describe() + ": " + e.getKey());
        }
        assertEquals(r, ClientLevelDp.accountant(next).totalSteps());
        s = next;
      }
    }
  }
}
