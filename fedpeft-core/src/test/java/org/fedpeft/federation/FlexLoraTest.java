package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.mat;
import static org.fedpeft.federation.Fx.update;
import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.tensor.DenseReference;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.tensor.LowRank;
import org.junit.jupiter.api.Test;

/**
 * FlexLoRA: the mean of the clients' products and its SVD truncation, by hand on a small matrix and
 * against an independent dense computation; the naive factor average next to it.
 */
class FlexLoraTest {

  static final String A = "m.lora_A";
  static final String B = "m.lora_B";

  /** B A of a module's factors in a state: (out x r) times (r x in), the first k components. */
  static double[][] product(HostTensor b, HostTensor a, int k) {
    int out = (int) b.shape()[0];
    int r = (int) b.shape()[1];
    int in = (int) a.shape()[1];
    double[][] p = new double[out][in];
    for (int o = 0; o < out; o++) {
      for (int c = 0; c < in; c++) {
        for (int j = 0; j < k; j++) {
          p[o][c] += (double) b.data()[o * r + j] * a.data()[j * in + c];
        }
      }
    }
    return p;
  }

  static void assertMatrix(double[][] expected, double[][] actual, double tol) {
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[0].length; j++) {
        assertEquals(expected[i][j], actual[i][j], tol, "(" + i + ", " + j + ")");
      }
    }
  }

  static StrategyOptions options(Weighting w, Map<String, String> budgets) {
    Map<String, Map<String, String>> per = new java.util.TreeMap<>();
    budgets.forEach((id, b) -> per.put(id, Map.of(ConfigKeys.BUDGET, b)));
    return StrategyOptions.defaults()
        .withWeighting(w)
        .withClientConfig(ClientConfigurer.perClient(per));
  }

  /**
   * r_max = 2, out = 3, in = 2; client a (rank 1): B_a A_a = [[2, 0], [0, 0], [0, 0]]; client b
   * (rank 2): B_b A_b = [[0, 0], [0, 3], [0, 0]] [[1, 0], [0, 2]] = [[0, 0], [0, 6], [0, 0]].
   * Unweighted, P = [[1, 0], [0, 3], [0, 0]] = 3 e_2 f_2^T + 1 e_1 f_1^T: the rank-2 global product
   * is P exactly, and a rank-1 client computes 3 e_2 f_2^T. Averaging the zero-padded factors
   * instead (FedIT's rule applied to different ranks) gives [[1, 0], [0, 1.5], [0, 0]].
   */
  @Test
  void productMeanAndSvdTruncationByHandAndTheNaiveAverageIsWrong() {
    FlexLora s = new FlexLora(2, options(Weighting.UNIFORM, Map.of("a", "0.5", "b", "1")));
    ServerState s0 =
        s.initialize(
            Fx.tensors(
                A,
                mat(2, 2, 0.5f, -0.5f, 0.25f, 0.25f),
                B,
                HostTensor.zeros(3, 2),
                "head",
                vec(0)));
    Map<String, FitInstructions> ins = s.configureRound(s0, 1, List.of("a", "b"));
    assertEquals("1", ins.get("a").config().get(LoraAdapter.RANK_KEY));
    assertEquals("2", ins.get("b").config().get(LoraAdapter.RANK_KEY));
    List<ClientUpdate> replies =
        List.of(
            update("a", 1, A, mat(1, 2, 1, 0), B, mat(3, 1, 2, 0, 0), "head", vec(1)),
            update(
                "b", 5, A, mat(2, 2, 1, 0, 0, 2), B, mat(3, 2, 0, 0, 0, 3, 0, 0), "head", vec(3)));
    Aggregation r = s.aggregate(s0, 1, replies, List.of());
    HostTensor ga = r.state().global().get(A);
    HostTensor gb = r.state().global().get(B);
    double[][] p = {{1, 0}, {0, 3}, {0, 0}};
    assertMatrix(p, product(gb, ga, 2), 1e-6);
    assertMatrix(new double[][] {{0, 0}, {0, 3}, {0, 0}}, product(gb, ga, 1), 1e-6);
    assertArrayEquals(new float[] {0, 1, 1, 0}, abs(ga.data()), 1e-6f, "A has orthonormal rows");
    assertArrayEquals(new float[] {0, 1, 3, 0, 0, 0}, abs(gb.data()), 1e-6f, "B = U S");
    assertEquals(2.0f, r.state().global().get("head").data()[0], "the head's uniform mean");
    assertEquals(1.0, r.metrics().get("strategy.flexlora.energy_kept"), 1e-12);
    assertEquals(1.0, r.metrics().get("strategy.flexlora.rank.a"));

    // The naive average of the zero-padded factors.
    double[][] naive = product(mat(3, 2, 1, 0, 0, 1.5f, 0, 0), mat(2, 2, 1, 0, 0, 1), 2);
    assertMatrix(new double[][] {{1, 0}, {0, 1.5}, {0, 0}}, naive, 0);
    assertTrue(Math.abs(naive[1][1] - p[1][1]) > 1, "the naive average is not the mean product");
  }

  static float[] abs(float[] x) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = Math.abs(x[i]);
    }
    return y;
  }

  static float[] random(SplittableRandom rng, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return x;
  }

  /**
   * Three clients of ranks 1, 2 and 3 (r_max = 3), weighted by examples 1, 2, 3 on a 6 x 5 module:
   * the global product is the best rank-3 approximation of the weighted product mean, computed
   * densely by power iteration; each client's truncation is the best approximation at its rank.
   */
  @Test
  void globalFactorsAreTheBestApproximationsOfTheProductMean() {
    int out = 6;
    int in = 5;
    FlexLora s =
        new FlexLora(3, options(Weighting.EXAMPLES, Map.of("a", "0.34", "b", "0.67", "c", "1")));
    SplittableRandom rng = new SplittableRandom(11);
    ServerState s0 =
        s.initialize(
            Fx.tensors(
                A,
                new HostTensor(new long[] {3, in}, random(rng, 3 * in)),
                B,
                HostTensor.zeros(out, 3)));
    List<ClientUpdate> replies = new ArrayList<>();
    List<LowRank.Term> terms = new ArrayList<>();
    String[] ids = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
      int k = i + 1;
      float[] bk = random(rng, out * k);
      float[] ak = random(rng, k * in);
      replies.add(
          update(
              ids[i],
              k,
              A,
              new HostTensor(new long[] {k, in}, ak),
              B,
              new HostTensor(new long[] {out, k}, bk)));
      terms.add(new LowRank.Term(k / 6.0, bk, ak, k));
    }
    Aggregation r = s.aggregate(s0, 1, replies, List.of());
    HostTensor ga = r.state().global().get(A);
    HostTensor gb = r.state().global().get(B);
    double[][] p = DenseReference.product(terms, out, in);
    for (int k = 1; k <= 3; k++) {
      assertMatrix(DenseReference.bestRankK(p, k), product(gb, ga, k), 1e-5);
    }
    double total = 0;
    double kept = 0;
    double[][] best = DenseReference.bestRankK(p, 3);
    for (int o = 0; o < out; o++) {
      for (int c = 0; c < in; c++) {
        total += p[o][c] * p[o][c];
        kept += best[o][c] * best[o][c];
      }
    }
    assertTrue(kept / total < 0.999, "rank 6 does not fit in 3");
    assertEquals(kept / total, r.metrics().get("strategy.flexlora.energy_kept"), 1e-6);
    for (int i = 0; i < 3; i++) { // orthonormal rows of A
      for (int j = 0; j < 3; j++) {
        double dot = 0;
        for (int c = 0; c < in; c++) {
          dot += (double) ga.data()[i * in + c] * ga.data()[j * in + c];
        }
        assertEquals(i == j ? 1 : 0, dot, 1e-6);
      }
    }
  }

  /** Two rank-1 clients under r_max = 3: component 2 has no direction, so B's column is zero. */
  @Test
  void aComponentWithoutDirectionKeepsItsRowOfAAndAddsNothing() {
    FlexLora s = new FlexLora(3, options(Weighting.UNIFORM, Map.of("a", "0.3", "b", "0.3")));
    float[] a0 = {1, 2, 3, 4, 5, 6};
    ServerState s0 =
        s.initialize(
            Fx.tensors(A, new HostTensor(new long[] {3, 2}, a0), B, HostTensor.zeros(2, 3)));
    Aggregation r =
        s.aggregate(
            s0,
            1,
            List.of(
                update("a", 1, A, mat(1, 2, 1, 0), B, mat(2, 1, 1, 0)),
                update("b", 1, A, mat(1, 2, 0, 1), B, mat(2, 1, 0, 1))),
            List.of());
    HostTensor ga = r.state().global().get(A);
    HostTensor gb = r.state().global().get(B);
    assertArrayEquals(new float[] {5, 6}, java.util.Arrays.copyOfRange(ga.data(), 4, 6));
    assertEquals(0f, gb.data()[2]);
    assertEquals(0f, gb.data()[5]);
    assertMatrix(new double[][] {{0.5, 0}, {0, 0.5}}, product(gb, ga, 3), 1e-6);
  }

  @Test
  void needsPlainFedAvgAndTheWeightedMean() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new FlexLora(
                2,
                StrategyOptions.defaults().withServerOptimizer(ServerOptimizer.fedAvgM(1, 0.9))));
    assertThrows(
        IllegalArgumentException.class,
        () -> new FlexLora(2, StrategyOptions.defaults().withAggregator(ctx -> Map.of())));
    StrategyProvider p = StrategyRegistry.get("flexlora");
    FlexLora s =
        (FlexLora)
            p.create(
                new StrategyProvider.Context(
                    StrategyOptions.defaults(), "lora", Map.of("rank", "4")));
    assertEquals(4, s.maxRank());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            p.create(new StrategyProvider.Context(StrategyOptions.defaults(), "fedbe", Map.of())));
  }

  /** The same inputs give the same state, bit for bit. */
  @Test
  void aggregationIsAPureFunction() {
    FlexLora s = new FlexLora(2, options(Weighting.EXAMPLES, Map.of()));
    SplittableRandom rng = new SplittableRandom(2);
    ServerState s0 =
        s.initialize(
            Fx.tensors(
                A, new HostTensor(new long[] {2, 4}, random(rng, 8)), B, HostTensor.zeros(3, 2)));
    List<ClientUpdate> replies =
        List.of(
            update(
                "x",
                2,
                A,
                new HostTensor(new long[] {2, 4}, random(rng, 8)),
                B,
                new HostTensor(new long[] {3, 2}, random(rng, 6))),
            update(
                "y",
                7,
                A,
                new HostTensor(new long[] {2, 4}, random(rng, 8)),
                B,
                new HostTensor(new long[] {3, 2}, random(rng, 6))));
    String first = s.aggregate(s0, 1, replies, List.of()).state().fingerprint();
    String again =
        s.aggregate(s0, 1, List.of(replies.get(1), replies.get(0)), List.of())
            .state()
            .fingerprint();
    assertEquals(first, again);
  }
}
