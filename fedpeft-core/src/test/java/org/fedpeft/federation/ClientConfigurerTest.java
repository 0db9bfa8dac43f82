package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Map;
import org.fedpeft.random.Seeds;
import org.junit.jupiter.api.Test;

class ClientConfigurerTest {

  @Test
  void fixedPerClientAndSeededConfigsReachTheInstructions() {
    ClientConfigurer config =
        ClientConfigurer.fixed(Map.of(ConfigKeys.LOCAL_STEPS, "50", ConfigKeys.BUDGET, "1.0"))
            .andThen(ClientConfigurer.perClient(Map.of("slow", Map.of(ConfigKeys.BUDGET, "0.25"))))
            .andThen(ClientConfigurer.seeded(7));
    FedAvg s = new FedAvg(StrategyOptions.defaults().withClientConfig(config));
    ServerState s0 = s.initialize(Map.of("w", vec(0)));
    Map<String, FitInstructions> r1 = s.configureRound(s0, 1, List.of("fast", "slow"));
    assertEquals(50, r1.get("slow").configInt(ConfigKeys.LOCAL_STEPS, 0));
    assertEquals(0.25, r1.get("slow").configDouble(ConfigKeys.BUDGET, 0));
    assertEquals(1.0, r1.get("fast").configDouble(ConfigKeys.BUDGET, 0));
    long fastSeed = r1.get("fast").configLong(ConfigKeys.SEED, 0);
    assertNotEquals(fastSeed, r1.get("slow").configLong(ConfigKeys.SEED, 0));
    // a pure function of (run seed, round, client): the same again, different next round
    assertEquals(r1, s.configureRound(s0, 1, List.of("fast", "slow")));
    assertEquals(
        Long.toString(Seeds.derive(7, "local-training", 1, Seeds.key("fast"))),
        r1.get("fast").config().get(ConfigKeys.SEED));
    ServerState s1 =
        s.aggregate(s0, 1, List.of(Fx.update("fast", 1, "w", vec(1))), List.of()).state();
    assertNotEquals(
        fastSeed,
        s.configureRound(s1, 2, List.of("fast")).get("fast").configLong(ConfigKeys.SEED, 0));
  }
}
