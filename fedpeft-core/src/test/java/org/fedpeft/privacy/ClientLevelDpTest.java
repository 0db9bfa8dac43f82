package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.RoundContext;
import org.fedpeft.federation.ServerState;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

class ClientLevelDpTest {

  static final ServerState START =
      ServerState.initial(Map.of("w", new HostTensor(new long[] {2}, new float[] {1, 1})), "t");

  static ClientUpdate update(String id, float a, float b) {
    return new ClientUpdate(
        id, Map.of("w", new HostTensor(new long[] {2}, new float[] {a, b})), 10);
  }

  static ClientLevelDp dp(double clip, double z, int m, double budget) {
    return new ClientLevelDp(
        new ClientLevelDp.Config(clip, z, m, 10, 1e-5, budget, false, 0.5, 0.2, 1.0, true),
        GaussianNoise.seededForTestsOnly(1));
  }

  @Test
  void clipsEachUpdateAndDividesByTheFixedDenominator() {
    // deltas: c1 = (3, 4) (norm 5 -> clipped to norm 1: (0.6, 0.8)); c2 = (0.3, 0) (kept).
    RoundContext ctx =
        new RoundContext(START, 1, List.of(update("c1", 4, 5), update("c2", 1.3f, 1)));
    Map<String, HostTensor> out = dp(1.0, 0.0, 4, 0).aggregate(ctx);
    // w + (0.6 + 0.3, 0.8 + 0) / 4, with m = 4 although only 2 clients replied.
    assertArrayEquals(new float[] {1 + 0.9f / 4, 1 + 0.8f / 4}, out.get("w").data(), 1e-6f);
    assertEquals(1.0, ctx.metrics().get("dp_clip_norm"));
  }

  @Test
  void oneClientMovesTheAggregateByAtMostClipOverM() {
    double clip = 0.5;
    int m = 3;
    RoundContext a =
        new RoundContext(START, 1, List.of(update("c1", 2, 2), update("c2", 1.1f, 0.9f)));
    RoundContext b =
        new RoundContext(START, 1, List.of(update("c1", -40, 75), update("c2", 1.1f, 0.9f)));
    float[] x = dp(clip, 0, m, 0).aggregate(a).get("w").data();
    float[] y = dp(clip, 0, m, 0).aggregate(b).get("w").data();
    double dist = Math.hypot(x[0] - y[0], x[1] - y[1]);
    assertTrue(dist <= 2 * clip / m + 1e-6, "moved " + dist);
    // Replacing a client's update by any other moves the sum by at most 2C (C for add/remove).
    RoundContext c = new RoundContext(START, 1, List.of(update("c2", 1.1f, 0.9f)));
    float[] w = dp(clip, 0, m, 0).aggregate(c).get("w").data();
    assertTrue(Math.hypot(x[0] - w[0], x[1] - w[1]) <= clip / m + 1e-6);
  }

  @Test
  void noiseHasStandardDeviationZClipOverM() {
    int n = 200_000;
    ServerState s = ServerState.initial(Map.of("w", HostTensor.zeros(n)), "t");
    ClientUpdate u = new ClientUpdate("c", Map.of("w", HostTensor.zeros(n)), 5);
    ClientLevelDp d =
        new ClientLevelDp(
            new ClientLevelDp.Config(2.0, 1.5, 4, 100, 1e-5, 0, false, 0.5, 0.2, 1.0, true),
            GaussianNoise.seededForTestsOnly(9));
    float[] out = d.aggregate(new RoundContext(s, 1, List.of(u))).get("w").data();
    double sq = 0;
    for (float v : out) {
      sq += v * (double) v;
    }
    double std = Math.sqrt(sq / n);
    assertEquals(1.5 * 2.0 / 4, std, 0.01 * 0.75);
  }

  @Test
  void accountantAndClipNormTravelInTheState() {
    ClientLevelDp d = dp(1.0, 1.0, 2, 0);
    RoundContext ctx = new RoundContext(START, 1, List.of(update("c1", 2, 2)));
    d.aggregate(ctx);
    ServerState next = ctx.next().build();
    RdpAccountant acc = ClientLevelDp.accountant(next);
    assertEquals(1, acc.totalSteps());
    RdpAccountant expected = new RdpAccountant().step(0.2, 1.0, 1);
    assertEquals(expected.getEpsilon(1e-5), acc.getEpsilon(1e-5));
    ServerState restored = ServerState.fromBytes(next.toBytes(), "checkpoint");
    assertEquals(acc, ClientLevelDp.accountant(restored));
  }

  @Test
  void fixedSizeSamplingIsAccountedWithoutAmplification() {
    ClientLevelDp d =
        new ClientLevelDp(
            new ClientLevelDp.Config(1.0, 2.0, 2, 10, 1e-5, 0, false, 0.5, 0.2, 1.0, false),
            GaussianNoise.seededForTestsOnly(1));
    RoundContext ctx = new RoundContext(START, 1, List.of(update("c1", 2, 2)));
    d.aggregate(ctx);
    RdpAccountant acc = ClientLevelDp.accountant(ctx.next().build());
    assertEquals(new RdpAccountant().step(1.0, 2.0, 1).getEpsilon(1e-5), acc.getEpsilon(1e-5));
  }

  @Test
  void aRoundThatWouldExceedTheBudgetIsRefusedBeforeAnyNoise() {
    double oneRound = new RdpAccountant().step(0.2, 1.0, 1).getEpsilon(1e-5);
    ClientLevelDp d = dp(1.0, 1.0, 2, oneRound * 1.0001);
    RoundContext first = new RoundContext(START, 1, List.of(update("c1", 2, 2)));
    d.aggregate(first);
    ServerState afterOne = first.next().build();
    RoundContext second = new RoundContext(afterOne, 2, List.of(update("c1", 2, 2)));
    BudgetExceededException e =
        assertThrows(BudgetExceededException.class, () -> d.aggregate(second));
    assertTrue(e.getMessage().contains("privacy budget exceeded"), e.getMessage());
    assertEquals(1, ClientLevelDp.accountant(afterOne).totalSteps());
  }

  @Test
  void adaptiveClippingMovesTowardsTheQuantile() {
    ClientLevelDp d =
        new ClientLevelDp(
            new ClientLevelDp.Config(10.0, 0.0, 2, 10, 1e-5, 0, true, 0.5, 0.2, 0.001, true),
            GaussianNoise.seededForTestsOnly(3));
    // Every update is far below C = 10: the unclipped fraction is 1 > 0.5, so C shrinks.
    RoundContext ctx =
        new RoundContext(START, 1, List.of(update("a", 1.1f, 1), update("b", 1, 1.2f)));
    d.aggregate(ctx);
    double next = Double.parseDouble(ctx.next().build().extra().get(ClientLevelDp.CLIP_KEY));
    assertEquals(10 * Math.exp(-0.2 * (1 - 0.5)), next, 1e-3);
  }
}
