package org.fedpeft.peft.expansion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.federation.Aggregation;
import org.fedpeft.federation.ClientConfigurer;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.ConfigKeys;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.federation.StrategyProvider;
import org.fedpeft.federation.StrategyRegistry;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/** FedBE's server: per-block aggregation over the trainers and the allocation rules. */
class FedBeStrategyTest {

  static HostTensor vec(float... v) {
    return new HostTensor(new long[] {v.length}, v);
  }

  static FedBeStrategy strategy(int m, String allocation, ClientConfigurer cc) {
    ExpansionConfig c =
        ExpansionConfig.fromOptions(
            Map.of("blocks", Integer.toString(m), "allocation", allocation));
    return new FedBeStrategy(c, StrategyOptions.defaults().withClientConfig(cc));
  }

  static Map<String, HostTensor> initial(int m) {
    Map<String, HostTensor> g = new LinkedHashMap<>();
    for (int j = 0; j < m; j++) {
      g.put("fedbe." + j + ".attn_out.bias", vec(j, -j));
    }
    g.put("classifier.bias", vec(0));
    return g;
  }

  /**
   * Three blocks; client a (1 example) trained blocks 0 and 1, client b (3 examples) block 1; block
   * 2 was trained by nobody. By hand: block 0 = a's, block 1 = (1 a + 3 b) / 4, block 2 and its
   * coverage untouched, the head averaged over both.
   */
  @Test
  void eachBlockIsAveragedOverItsTrainersByExamplesAndAnUntrainedBlockIsUntouched() {
    FedBeStrategy s = strategy(3, "coverage", ClientConfigurer.none());
    Map<String, HostTensor> g = initial(3);
    g.put("fedbe.2.attn_out.bias", vec(5, -5));
    ServerState state = s.initialize(g);
    ClientUpdate a =
        new ClientUpdate(
            "a",
            Map.of(
                "fedbe.0.attn_out.bias", vec(2, 4),
                "fedbe.1.attn_out.bias", vec(3, 7),
                "classifier.bias", vec(1)),
            1,
            Map.of("label_count.0", 1.0, "label_count.1", 0.0),
            Map.of());
    ClientUpdate b =
        new ClientUpdate(
            "b",
            Map.of("fedbe.1.attn_out.bias", vec(7, -1), "classifier.bias", vec(5)),
            3,
            Map.of(),
            Map.of());
    Aggregation agg = s.aggregate(state, 1, List.of(b, a), List.of());
    Map<String, HostTensor> next = agg.state().global();
    assertArrayEquals(new float[] {2, 4}, next.get("fedbe.0.attn_out.bias").data());
    assertArrayEquals(new float[] {6, 1}, next.get("fedbe.1.attn_out.bias").data());
    assertSame(
        state.global().get("fedbe.2.attn_out.bias"),
        next.get("fedbe.2.attn_out.bias"),
        "a block nobody trained keeps its very value");
    assertArrayEquals(new float[] {4}, next.get("classifier.bias").data());
    assertArrayEquals(new double[] {1, 2, 0}, s.coverage(agg.state()));
    assertEquals(3.0, agg.metrics().get("strategy.fedbe.blocks.a"), "bits 0 and 1");
    assertEquals(2.0, agg.metrics().get("strategy.fedbe.blocks.b"), "bit 1");
    assertEquals(0.0, agg.metrics().get("strategy.fedbe.coverage.2"));
    assertArrayEquals(new long[] {1, 0}, s.histograms(agg.state()).get("a"));
    assertEquals(Set.of("a"), s.histograms(agg.state()).keySet(), "b reported no histogram");

    // The next round decays the counts: 0.5 * (1, 2, 0) + b's block 2.
    ClientUpdate b2 =
        new ClientUpdate("b", Map.of("fedbe.2.attn_out.bias", vec(1, 1)), 3, Map.of(), Map.of());
    ServerState after2 = s.aggregate(agg.state(), 2, List.of(b2), List.of()).state();
    assertArrayEquals(new double[] {0.5, 1, 1}, s.coverage(after2));
  }

  @Test
  void eachClientTrainsCeilOfMTimesItsBudgetBlocks() {
    ClientConfigurer budgets =
        ClientConfigurer.perClient(
            Map.of(
                "a", Map.of(ConfigKeys.BUDGET, "0.5"),
                "b", Map.of(ConfigKeys.BUDGET, "0.2"),
                "d", Map.of(ConfigKeys.BUDGET, "0.26")));
    for (String rule : ExpansionConfig.ALLOCATIONS) {
      FedBeStrategy s = strategy(4, rule, budgets);
      ServerState st = s.initialize(initial(4));
      Map<String, Set<Integer>> as = s.assign(st, 1, List.of("a", "b", "c", "d"));
      assertEquals(2, as.get("a").size(), rule);
      assertEquals(1, as.get("b").size(), rule + ": at least one");
      assertEquals(4, as.get("c").size(), rule + ": no budget means 1");
      assertEquals(2, as.get("d").size(), rule + ": ceil(4 * 0.26) = 2");
      assertEquals(as, s.assign(st, 1, List.of("a", "b", "c", "d")), rule + ": deterministic");
    }
  }

  @Test
  void coveragePrefersTheBlocksTrainedLeastRecentlyAndSpreadsOneRound() {
    ClientConfigurer half = (state, round, id) -> Map.of(ConfigKeys.BUDGET, "0.5");
    FedBeStrategy s = strategy(4, "coverage", half);
    ServerState st = s.initialize(initial(4));
    Map<String, Set<Integer>> r1 = s.assign(st, 1, List.of("a", "b"));
    assertEquals(Set.of(0, 1, 2, 3), union(r1), "two clients of one round cover all 4 blocks");
    ClientUpdate a =
        new ClientUpdate(
            "a",
            Map.of("fedbe.0.attn_out.bias", vec(1, 1), "fedbe.3.attn_out.bias", vec(1, 1)),
            5,
            Map.of(),
            Map.of());
    ServerState st1 = s.aggregate(st, 1, List.of(a), List.of()).state();
    assertEquals(Map.of("b", Set.of(1, 2)), s.assign(st1, 2, List.of("b")));
  }

  /**
   * Histograms (from the clients' label_count metrics): x holds labels (10, 0), y (6, 4), z (4, 6);
   * the global histogram is (20, 10). x is the most skewed (distance 1/3) and gets the deepest
   * block, y the least skewed (1/15) the shallowest.
   */
  @Test
  void labelSkewedClientsGetDeeperBlocks() {
    ClientConfigurer quarter = (state, round, id) -> Map.of(ConfigKeys.BUDGET, "0.25");
    FedBeStrategy s = strategy(4, "coverage", quarter);
    ServerState st = s.initialize(initial(4));
    List<ClientUpdate> ups = List.of(labels("x", 10, 0), labels("y", 6, 4), labels("z", 4, 6));
    ServerState st1 = s.aggregate(st, 1, ups, List.of()).state();
    assertEquals(
        1 / 3.0, FedBeStrategy.totalVariation(new long[] {10, 0}, new long[] {20, 10}), 1e-12);
    Map<String, Set<Integer>> as = s.assign(st1, 2, List.of("z", "y", "x"));
    assertEquals(Set.of(3), as.get("x"));
    assertEquals(Set.of(0), as.get("y"));
    assertEquals(List.of("z", "y", "x"), List.copyOf(as.keySet()), "in the sampled order");
  }

  /**
   * The depth preference decides whenever coverage ties, however small depth_weight is: with
   * depth_weight = 1e-9 and every block uncovered, the most skewed client (x) still gets the
   * deepest block and the least skewed (y) the shallowest, whatever the round's seed (the seeded
   * draw orders equal scores only).
   */
  @Test
  void aTinyDepthWeightStillOrdersBlocksThatTieOnCoverage() {
    ClientConfigurer quarter =
        ClientConfigurer.seeded(42)
            .andThen((state, round, id) -> Map.of(ConfigKeys.BUDGET, "0.25"));
    ExpansionConfig c =
        ExpansionConfig.fromOptions(
            Map.of("blocks", "4", "allocation", "coverage", "depth_weight", "1e-9"));
    FedBeStrategy s = new FedBeStrategy(c, StrategyOptions.defaults().withClientConfig(quarter));
    ServerState st = s.initialize(initial(4));
    List<ClientUpdate> ups = List.of(labels("x", 10, 0), labels("y", 6, 4), labels("z", 4, 6));
    ServerState st1 = s.aggregate(st, 1, ups, List.of()).state();
    for (String order : List.of("zyx", "xyz", "yxz")) {
      for (int round = 2; round <= 6; round++) {
        Map<String, Set<Integer>> as = s.assign(st1, round, List.of(order.split("")));
        assertEquals(Set.of(3), as.get("x"), order + ", round " + round);
        assertEquals(Set.of(0), as.get("y"), order + ", round " + round);
      }
    }
  }

  private static ClientUpdate labels(String id, double... counts) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int k = 0; k < counts.length; k++) {
      m.put("label_count." + k, counts[k]);
    }
    return new ClientUpdate(id, Map.of("classifier.bias", vec(0)), 10, m, Map.of());
  }

  @Test
  void fixedKeepsAClientsBlocksAndRandomDrawsPerRound() {
    ClientConfigurer half =
        ClientConfigurer.seeded(42).andThen((state, round, id) -> Map.of(ConfigKeys.BUDGET, "0.5"));
    FedBeStrategy fixed = strategy(6, "fixed", half);
    FedBeStrategy random = strategy(6, "random", half);
    ServerState st = fixed.initialize(initial(6));
    List<String> ids = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7");
    Map<String, Set<Integer>> f1 = fixed.assign(st, 1, ids);
    ServerState rs = random.initialize(initial(6));
    Map<String, Set<Integer>> r1 = random.assign(rs, 1, ids);
    assertEquals(r1, random.assign(rs, 1, ids));
    ServerState st1 = st.toBuilder().round(1).build();
    ServerState rs1 = rs.toBuilder().round(1).build();
    assertEquals(f1, fixed.assign(st1, 2, ids), "fixed: the same blocks in every round");
    assertNotEquals(r1, random.assign(rs1, 2, ids), "random: drawn again each round");
    for (Set<Integer> b : f1.values()) {
      int lo = b.stream().min(Integer::compare).orElseThrow();
      assertTrue(
          b.equals(Set.of(lo, lo + 1, lo + 2)) || b.contains(0) && b.contains(5),
          "consecutive, cyclically: " + b);
    }
  }

  @Test
  void theInstructionsCarryTheBlocksAndTheHistogramRequest() {
    FedBeStrategy s =
        strategy(2, "coverage", (state, round, id) -> Map.of(ConfigKeys.BUDGET, "0.5"));
    ServerState st = s.initialize(initial(2));
    Map<String, FitInstructions> in = s.configureRound(st, 1, List.of("a", "b"));
    assertEquals(
        Set.of("0", "1"),
        Set.of(
            in.get("a").config().get(ExpansionAdapter.BLOCKS_KEY),
            in.get("b").config().get(ExpansionAdapter.BLOCKS_KEY)));
    assertEquals("true", in.get("a").config().get(ConfigKeys.REPORT_LABEL_COUNTS));
    assertEquals(st.global().keySet(), in.get("a").tensors().keySet(), "every block goes down");
    FedBeStrategy r = strategy(2, "random", ClientConfigurer.none());
    assertTrue(
        !r.configureRound(r.initialize(initial(2)), 1, List.of("a"))
            .get("a")
            .config()
            .containsKey(ConfigKeys.REPORT_LABEL_COUNTS),
        "only the coverage rule asks for histograms");
  }

  @Test
  void theProviderNeedsTheFedbeAdapter() {
    StrategyProvider p = StrategyRegistry.get("fedbe");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                p.create(
                    new StrategyProvider.Context(StrategyOptions.defaults(), "lora", Map.of())));
    assertTrue(e.getMessage().contains("adapter.method = fedbe"), e.getMessage());
    assertEquals(
        "fedbe",
        p.create(new StrategyProvider.Context(StrategyOptions.defaults(), "fedbe", Map.of()))
            .name());
  }

  private static Set<Integer> union(Map<String, Set<Integer>> m) {
    Set<Integer> u = new java.util.TreeSet<>();
    m.values().forEach(u::addAll);
    return u;
  }
}
