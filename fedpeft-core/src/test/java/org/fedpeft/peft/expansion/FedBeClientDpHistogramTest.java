package org.fedpeft.peft.expansion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;
import org.fedpeft.federation.ClientConfigurer;
import org.fedpeft.federation.ConfigKeys;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.privacy.ClientLevelDp;
import org.fedpeft.privacy.GaussianNoise;
import org.junit.jupiter.api.Test;

/**
 * Under client-level DP the coverage allocation asked every client for its training label counts
 * and used them to pick the blocks of the other clients of the round (deeper blocks for skewed
 * ones, and each assignment counting as coverage for the next), so one client's data steered the
 * others' updates, which clipping each client's own update does not bound. The server no longer
 * asks under client-level DP; without DP it still does.
 */
class FedBeClientDpHistogramTest {

  private static Map<String, FitInstructions> firstRound(StrategyOptions options) {
    ExpansionConfig c = ExpansionConfig.fromOptions(Map.of("blocks", "2"));
    FedBeStrategy s = new FedBeStrategy(c, options);
    ServerState st = s.initialize(FedBeStrategyTest.initial(2));
    return s.configureRound(st, 1, List.of("a", "b"));
  }

  @Test
  void clientLevelDpAsksForNoLabelCounts() {
    ClientLevelDp dp =
        new ClientLevelDp(
            new ClientLevelDp.Config(1.0, 1.0, 2, 10, 1e-5, 0, false, 0.5, 0.2, 1.0, true),
            GaussianNoise.seededForTestsOnly(1));
    StrategyOptions options =
        new StrategyOptions(
            1, dp, StrategyOptions.defaults().serverOptimizer(), ClientConfigurer.none());
    for (FitInstructions in : firstRound(options).values()) {
      assertFalse(in.config().containsKey(ConfigKeys.REPORT_LABEL_COUNTS), in.config().toString());
    }
    for (FitInstructions in : firstRound(StrategyOptions.defaults()).values()) {
      assertEquals("true", in.config().get(ConfigKeys.REPORT_LABEL_COUNTS));
    }
  }
}
