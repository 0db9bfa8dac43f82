package org.fedpeft.peft.expansion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.federation.Aggregation;
import org.fedpeft.federation.ClientConfigurer;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.privacy.ClientLevelDp;
import org.fedpeft.privacy.GaussianNoise;
import org.junit.jupiter.api.Test;

/**
 * Under client-level DP with Poisson client sampling every round is released, also one that drew no
 * client: FedBE (a wrapper around the averaging skeleton) must say so to the round driver and take
 * the empty round as a round in which nobody trained a block.
 */
class FedBeClientDpEmptyRoundTest {

  @Test
  void anEmptyRoundIsReleasedAndDecaysTheCoverage() {
    ClientLevelDp dp =
        new ClientLevelDp(
            new ClientLevelDp.Config(1.0, 1.0, 2, 10, 1e-5, 0, false, 0.5, 0.2, 1.0, true),
            GaussianNoise.seededForTestsOnly(4));
    StrategyOptions options =
        new StrategyOptions(
            1, dp, StrategyOptions.defaults().serverOptimizer(), ClientConfigurer.none());
    ExpansionConfig c = ExpansionConfig.fromOptions(Map.of("blocks", "2"));
    FedBeStrategy s = new FedBeStrategy(c, options);
    assertTrue(s.releasesEveryRound(), "the wrapper reports what its aggregator requires");
    ServerState st = s.initialize(FedBeStrategyTest.initial(2));
    assertEquals(Map.of(), s.configureRound(st, 1, List.of()));
    Aggregation agg = s.aggregate(st, 1, List.of(), List.of());
    assertEquals(List.of(), agg.accepted());
    for (var e : agg.state().global().entrySet()) {
      assertTrue(e.getValue().allFinite(), e.getKey());
    }
    assertEquals(st.global().size(), agg.metrics().get("server.tensors_updated"));
    assertArrayEquals(new double[] {0, 0}, s.coverage(agg.state()));
    assertEquals(1, ClientLevelDp.accountant(agg.state()).totalSteps());
  }
}
