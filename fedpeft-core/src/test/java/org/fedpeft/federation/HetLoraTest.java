package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.assertClose;
import static org.fedpeft.federation.Fx.mat;
import static org.fedpeft.federation.Fx.update;
import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * HetLoRA on one LoRA module "m" with r_max = 2 (A 2 x 2, B 2 x 2) and a head: client a has budget
 * 0.5 (rank 1, 1 example), client b budget 1 (rank 2, 3 examples). The aggregates are computed by
 * hand.
 */
class HetLoraTest {

  static final String A = "m.lora_A";
  static final String B = "m.lora_B";

  static Map<String, HostTensor> initial() {
    return Fx.tensors(
        A, mat(2, 2, 0.5f, -0.5f, 0.25f, 0.25f), B, mat(2, 2, 0, 0, 0, 0), "head", vec(0, 0));
  }

  static StrategyOptions budgets(Map<String, String> budgetById) {
    Map<String, Map<String, String>> per = new java.util.TreeMap<>();
    budgetById.forEach((id, b) -> per.put(id, Map.of(ConfigKeys.BUDGET, b)));
    return StrategyOptions.defaults().withClientConfig(ClientConfigurer.perClient(per));
  }

  static HetLora hetLora(HetLora.Config config) {
    return new HetLora(2, config, budgets(Map.of("a", "0.5", "b", "1")));
  }

  /**
   * Client a: B_a A_a = [3, 4]^T [1, 0], norm 5. Client b: B_b = [[1, 1], [1, -1]], A_b = I, norm
   * 2.
   */
  static List<ClientUpdate> replies() {
    return List.of(
        update("a", 1, A, mat(1, 2, 1, 0), B, mat(2, 1, 3, 4), "head", vec(1, 1)),
        update("b", 3, A, mat(2, 2, 1, 0, 0, 1), B, mat(2, 2, 1, 1, 1, -1), "head", vec(5, 9)));
  }

  static double[] d(double... v) {
    return v;
  }

  @Test
  void eachClientIsSentItsBudgetsRankAndTheGlobalFactorsCutToIt() {
    HetLora s = hetLora(HetLora.Config.DEFAULT);
    ServerState s0 = s.initialize(initial());
    Map<String, FitInstructions> ins = s.configureRound(s0, 1, List.of("a", "b"));
    assertEquals("1", ins.get("a").config().get(LoraAdapter.RANK_KEY));
    assertEquals("2", ins.get("b").config().get(LoraAdapter.RANK_KEY));
    assertFalse(ins.get("a").config().containsKey(LoraAdapter.PRUNE_KEY));
    assertEquals(s0.global(), ins.get("b").tensors(), "rank 2 = r_max: the full factors");
    Map<String, HostTensor> a = ins.get("a").tensors();
    assertEquals(s0.global().get("head"), a.get("head"));
    HostTensor ga = s0.global().get(A);
    HostTensor gb = s0.global().get(B);
    // A: its first row; B: its first column.
    assertArrayEquals(new long[] {1, 2}, a.get(A).shape());
    assertArrayEquals(new float[] {ga.data()[0], ga.data()[1]}, a.get(A).data());
    assertArrayEquals(new long[] {2, 1}, a.get(B).shape());
    assertArrayEquals(new float[] {gb.data()[0], gb.data()[2]}, a.get(B).data());
    // Evaluation gets the full global factors.
    assertEquals(s0.global(), s.configureEvaluate(s0, List.of("a")).get("a").tensors());
    assertEquals(1, HeterogeneousLora.rankForBudget(0.25, 4));
    assertEquals(2, HeterogeneousLora.rankForBudget(0.25, 8));
    assertEquals(6, HeterogeneousLora.rankForBudget(0.75, 8));
    assertEquals(1, HeterogeneousLora.rankForBudget(0.01, 8), "at least 1");
  }

  /**
   * Sparsity weights p_a = ||B_a A_a|| = 5, p_b = 2; zero padding divides both components by 7: A =
   * (5 [[1, 0], [0, 0]] + 2 I) / 7, B = (5 [[3, 0], [4, 0]] + 2 [[1, 1], [1, -1]]) / 7. The head
   * takes the example-weighted mean: (1 (1, 1) + 3 (5, 9)) / 4.
   */
  @Test
  void sparsityWeightedZeroPaddedMeanByHand() {
    HetLora s = hetLora(HetLora.Config.DEFAULT);
    Aggregation r = s.aggregate(s.initialize(initial()), 1, replies(), List.of());
    assertEquals(List.of("a", "b"), r.accepted());
    assertClose(d(1, 0, 0, 2.0 / 7), r.state().global().get(A), 1e-6);
    assertClose(d(17.0 / 7, 2.0 / 7, 22.0 / 7, -2.0 / 7), r.state().global().get(B), 1e-6);
    assertClose(d(4, 7), r.state().global().get("head"), 1e-6);
    assertEquals(1.0, r.metrics().get("strategy.hetlora.rank.a"));
    assertEquals(2.0, r.metrics().get("strategy.hetlora.rank.b"));
    assertEquals(5.0 / 7, r.metrics().get("strategy.hetlora.weight.a"), 1e-12);
    assertEquals(2.0 / 7, r.metrics().get("strategy.hetlora.weight.b"), 1e-12);
  }

  /** padding = keep: component 1 is averaged over b alone (its only trainer). */
  @Test
  void keepPaddingAveragesAComponentOverItsTrainers() {
    HetLora s = hetLora(new HetLora.Config(true, false, false, 0.75));
    Aggregation r = s.aggregate(s.initialize(initial()), 1, replies(), List.of());
    assertClose(d(1, 0, 0, 1), r.state().global().get(A), 1e-6);
    assertClose(d(17.0 / 7, 1, 22.0 / 7, -1), r.state().global().get(B), 1e-6);
    // Only a (rank 1) in the round: component 1 keeps the previous values under keep ...
    Aggregation onlyA = s.aggregate(s.initialize(initial()), 1, replies().subList(0, 1), List.of());
    assertClose(d(1, 0, 0.25, 0.25), onlyA.state().global().get(A), 1e-6);
    assertClose(d(3, 0, 4, 0), onlyA.state().global().get(B), 1e-6);
    // ... and becomes zero in A and B under the paper's zero padding (it can never train again).
    HetLora zero = hetLora(HetLora.Config.DEFAULT);
    Aggregation dead =
        zero.aggregate(zero.initialize(initial()), 1, replies().subList(0, 1), List.of());
    assertClose(d(1, 0, 0, 0), dead.state().global().get(A), 1e-6);
    assertClose(d(3, 0, 4, 0), dead.state().global().get(B), 1e-6);
  }

  /** aggregation = mean: the example weights 1 and 3 instead of the sparsity weights. */
  @Test
  void meanAggregationUsesTheServersWeighting() {
    HetLora s = hetLora(new HetLora.Config(false, true, false, 0.75));
    Aggregation r = s.aggregate(s.initialize(initial()), 1, replies(), List.of());
    assertClose(d(1, 0, 0, 0.75), r.state().global().get(A), 1e-6);
    assertClose(d(1.5, 0.75, 1.75, -0.75), r.state().global().get(B), 1e-6);
  }

  @Test
  void factorsOfAnotherRankOrShapeAreRejected() {
    HetLora s = hetLora(HetLora.Config.DEFAULT);
    ServerState s0 = s.initialize(initial());
    ClientUpdate good = replies().get(1);
    Map<String, String> reasons = new java.util.TreeMap<>();
    List<ClientUpdate> bad =
        List.of(
            update("a", 1, A, mat(2, 2, 1, 0, 0, 1), B, mat(2, 2, 1, 1, 1, -1)), // rank 2, not 1
            update("c", 1, A, mat(1, 2, 1, 0), B, mat(2, 2, 1, 1, 1, 1)), // ranks 1 and 2
            update("d", 1, A, mat(1, 3, 1, 0, 0), B, mat(2, 1, 1, 1)), // A of in 3
            update("e", 1, A, mat(2, 2, 1, 0, 0, 1))); // A without B
    Aggregation r =
        s.aggregate(
            s0, 1, List.of(bad.get(0), bad.get(1), bad.get(2), bad.get(3), good), List.of());
    assertEquals(List.of("b"), r.accepted());
    r.failures().forEach(f -> reasons.put(f.clientId(), f.reason()));
    assertTrue(reasons.get("a").contains("rank 2, but its rank this round is 1"), reasons.get("a"));
    assertTrue(reasons.get("c").contains("of rank 1"), reasons.get("c"));
    assertTrue(reasons.get("d").contains("expected [k, 2]"), reasons.get("d"));
    assertTrue(reasons.get("e").contains("without"), reasons.get("e"));
  }

  /**
   * With self-pruning (gamma 0.5, r_max 4), b may send rank 2 instead of 4; the server remembers it
   * and assigns rank 2 from then on; rank 3 is refused.
   */
  @Test
  void selfPruningIsRememberedByTheServer() {
    Map<String, HostTensor> init =
        Fx.tensors(A, HostTensor.zeros(4, 2), B, HostTensor.zeros(2, 4), "head", vec(0, 0));
    HetLora s =
        new HetLora(
            4, new HetLora.Config(true, true, true, 0.5), budgets(Map.of("a", "0.5", "b", "1")));
    ServerState s0 = s.initialize(init);
    Map<String, FitInstructions> ins = s.configureRound(s0, 1, List.of("a", "b"));
    assertEquals("4", ins.get("b").config().get(LoraAdapter.RANK_KEY));
    assertEquals("0.5", ins.get("b").config().get(LoraAdapter.PRUNE_KEY));
    Aggregation r =
        s.aggregate(
            s0,
            1,
            List.of(
                update("a", 1, A, mat(1, 2, 1, 0), B, mat(2, 1, 1, 1)), // rank 2 pruned to 1
                update("b", 1, A, mat(2, 2, 1, 0, 0, 1), B, mat(2, 2, 1, 0, 0, 1)),
                update("c", 1, A, mat(3, 2, 1, 0, 0, 1, 1, 1), B, mat(2, 3, 1, 0, 0, 0, 1, 0))),
            List.of());
    assertEquals(List.of("a", "b"), r.accepted(), "c has no budget, so rank 4; 3 is refused");
    assertEquals(2.0, r.metrics().get("strategy.hetlora.pruned"));
    assertEquals("2", r.state().extra().get("hetlora.rank.b"));
    Map<String, FitInstructions> next = s.configureRound(r.state(), 2, List.of("a", "b", "c"));
    assertEquals("1", next.get("a").config().get(LoraAdapter.RANK_KEY));
    assertEquals("2", next.get("b").config().get(LoraAdapter.RANK_KEY));
    assertEquals("4", next.get("c").config().get(LoraAdapter.RANK_KEY));
  }

  @Test
  void providerChecksTheAdapterAndReadsItsOptions() {
    StrategyProvider p = StrategyRegistry.get("hetlora");
    HetLora s =
        (HetLora)
            p.create(
                new StrategyProvider.Context(
                    StrategyOptions.defaults(),
                    "lora",
                    Map.of("rank", "8"),
                    Map.of("padding", "keep", "prune", "true")));
    assertEquals(8, s.maxRank());
    assertEquals(new HetLora.Config(true, false, true, 0.75), s.config());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            p.create(new StrategyProvider.Context(StrategyOptions.defaults(), "ravan", Map.of())));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            p.create(
                new StrategyProvider.Context(
                    StrategyOptions.defaults(), "lora", Map.of("train_a", "false"))));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            p.create(
                new StrategyProvider.Context(
                    StrategyOptions.defaults(), "lora", Map.of(), Map.of("paddin", "keep"))));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new HetLora(
                2,
                HetLora.Config.DEFAULT,
                StrategyOptions.defaults().withAggregator(ctx -> Map.of())),
        "client-level DP (another aggregator) is refused");
  }

  /**
   * User audit: "hetlora: needs the weighted-mean aggregator (client-level DP is not supported),
   * got ClientLevelDp" named a Java class; the strategies that cannot run with client-level DP say
   * so in the config's terms.
   */
  @Test
  void clientLevelDpIsRefusedInTheConfigsTerms() {
    StrategyOptions dp =
        StrategyOptions.defaults()
            .withAggregator(
                new org.fedpeft.privacy.ClientLevelDp(
                    new org.fedpeft.privacy.ClientLevelDp.Config(
                        1, 1, 2, 4, 1e-5, 0, false, 0.5, 0.2, 1.0, false),
                    org.fedpeft.privacy.GaussianNoise.seededForTestsOnly(1)));
    for (String strategy : List.of("hetlora", "flexlora", "fedex-lora")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  StrategyRegistry.get(strategy)
                      .create(new StrategyProvider.Context(dp, "lora", Map.of())));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "server.strategy = \""
                      + strategy
                      + "\" cannot run with client-level DP (privacy.mode = \"client\")"),
          e.getMessage());
      assertFalse(e.getMessage().contains("ClientLevelDp"), e.getMessage());
    }
  }

  @Test
  void strategyOptionsAreConfigKeysOfTheirStrategyOnly() {
    Map<String, String> o = Map.of("server.strategy", "hetlora", "server.hetlora.prune", "true");
    SimulationConfig c = SimulationConfig.of(Map.of(), o, "test");
    assertEquals("true", c.server().strategyOptions().get("prune"));
    assertEquals("sparsity", c.server().strategyOptions().get("aggregation"));
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of(),
                    Map.of("server.strategy", "flexlora", "server.hetlora.prune", "true"),
                    "test"));
    assertTrue(e.getMessage().contains("server.hetlora.prune is an option of"), e.getMessage());
    assertThrows(
        ConfigException.class,
        () ->
            SimulationConfig.of(
                Map.of(),
                Map.of("server.strategy", "hetlora", "server.hetlora.padding", "sideways"),
                "test"));
    // A config.json holds every key with its value: the defaults of other strategies load back.
    SimulationConfig fedit = SimulationConfig.of(Map.of(), Map.of(), "test");
    assertEquals(fedit.values(), SimulationConfig.fromJson(fedit.toJson()).values());
  }
}
