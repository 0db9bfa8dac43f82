package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.assertClose;
import static org.fedpeft.federation.Fx.assertTensor;
import static org.fedpeft.federation.Fx.update;
import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Server optimisers on one tensor w = (1, 2). Round 1's aggregate is (2, 0), so the pseudo-gradient
 * is delta_1 = (1, -2). Expected values are written out as the formulas of Reddi et al. (2021),
 * Algorithm 2, with m_0 = 0 and v_0 = tau^2, evaluated by hand in double.
 */
class ServerOptimizerTest {

  private static final double TOL = 1e-6;
  private static final double LR = 0.1;
  private static final double B1 = 0.9;
  private static final double B2 = 0.99;
  private static final double TAU = 1e-3;

  /** One round of FedAvg-with-optimizer where a single client sends {@code w}. */
  private static ServerState step(FedAvg s, ServerState state, float... w) {
    return s.aggregate(state, state.round() + 1, List.of(update("a", 1, "w", vec(w))), List.of())
        .state();
  }

  private static FedAvg with(ServerOptimizer o) {
    return new FedAvg(StrategyOptions.defaults().withServerOptimizer(o));
  }

  private static ServerState start(FedAvg s) {
    return s.initialize(Fx.tensors("w", vec(1, 2), "other", vec(5)));
  }

  @Test
  void fedAvgWithServerLearningRate() {
    FedAvg s = with(ServerOptimizer.fedAvg(0.5));
    ServerState s1 = step(s, start(s), 2, 0);
    // x + 0.5 delta = (1 + 0.5, 2 - 1)
    assertTensor(vec(1.5f, 1), s1.global().get("w"));
    assertTrue(s1.strategyTensors().isEmpty());
  }

  @Test
  void fedAvgMomentumOneAndTwoSteps() {
    FedAvg s = with(ServerOptimizer.fedAvgM(1.0, B1));
    ServerState s1 = step(s, start(s), 2, 0);
    // m_1 = delta_1 = (1, -2); x_1 = x_0 + m_1 = (2, 0)
    assertTensor(vec(1, -2), s1.strategyTensors().get("opt/m/w"));
    assertTensor(vec(2, 0), s1.global().get("w"));
    ServerState s2 = step(s, s1, 3, 0);
    // delta_2 = (1, 0); m_2 = 0.9 (1, -2) + (1, 0) = (1.9, -1.8); x_2 = (2, 0) + m_2
    assertClose(new double[] {1.9, -1.8}, s2.strategyTensors().get("opt/m/w"), TOL);
    assertClose(new double[] {3.9, -1.8}, s2.global().get("w"), TOL);
  }

  @Test
  void fedAdamOneAndTwoSteps() {
    FedAvg s = with(ServerOptimizer.fedAdam(LR, B1, B2, TAU));
    ServerState s1 = step(s, start(s), 2, 0);
    // m_1 = 0.1 delta_1 = (0.1, -0.2); v_1 = 0.99 tau^2 + 0.01 delta_1^2
    double v10 = 0.99e-6 + 0.01;
    double v11 = 0.99e-6 + 0.04;
    assertClose(new double[] {0.1, -0.2}, s1.strategyTensors().get("opt/m/w"), TOL);
    assertClose(new double[] {v10, v11}, s1.strategyTensors().get("opt/v/w"), TOL);
    double x10 = 1 + LR * 0.1 / (Math.sqrt(v10) + TAU);
    double x11 = 2 + LR * -0.2 / (Math.sqrt(v11) + TAU);
    assertClose(new double[] {x10, x11}, s1.global().get("w"), TOL);
    assertClose(new double[] {1.0990051, 1.9004987}, s1.global().get("w"), TOL);

    ServerState s2 = step(s, s1, 2, 0);
    // delta_2 = (2 - x_1, 0 - x_1); m_2 = 0.9 m_1 + 0.1 delta_2; v_2 = 0.99 v_1 + 0.01 delta_2^2
    double d0 = 2 - x10;
    double d1 = 0 - x11;
    double m20 = 0.9 * 0.1 + 0.1 * d0;
    double m21 = 0.9 * -0.2 + 0.1 * d1;
    double v20 = 0.99 * v10 + 0.01 * d0 * d0;
    double v21 = 0.99 * v11 + 0.01 * d1 * d1;
    assertClose(new double[] {m20, m21}, s2.strategyTensors().get("opt/m/w"), TOL);
    assertClose(new double[] {v20, v21}, s2.strategyTensors().get("opt/v/w"), TOL);
    assertClose(
        new double[] {
          x10 + LR * m20 / (Math.sqrt(v20) + TAU), x11 + LR * m21 / (Math.sqrt(v21) + TAU)
        },
        s2.global().get("w"),
        TOL);
  }

  @Test
  void fedYogiOneAndTwoSteps() {
    FedAvg s = with(ServerOptimizer.fedYogi(LR, B1, B2, TAU));
    ServerState s1 = step(s, start(s), 2, 0);
    // v_0 = tau^2 < delta^2, so sign(v_0 - delta^2) = -1: v_1 = tau^2 + 0.01 delta_1^2
    double v10 = 1e-6 + 0.01;
    double v11 = 1e-6 + 0.04;
    assertClose(new double[] {v10, v11}, s1.strategyTensors().get("opt/v/w"), TOL);
    double x10 = 1 + LR * 0.1 / (Math.sqrt(v10) + TAU);
    double x11 = 2 + LR * -0.2 / (Math.sqrt(v11) + TAU);
    assertClose(new double[] {x10, x11}, s1.global().get("w"), TOL);

    // a small second step, delta_2^2 < v_1, so Yogi shrinks v where Adam would grow it:
    // v_2 = v_1 - 0.01 delta_2^2
    ServerState s2 = step(s, s1, (float) (x10 + 0.05), (float) (x11 - 0.02));
    double d0 = (float) (x10 + 0.05) - (float) x10;
    double d1 = (float) (x11 - 0.02) - (float) x11;
    double v20 = v10 - 0.01 * d0 * d0;
    double v21 = v11 - 0.01 * d1 * d1;
    assertClose(new double[] {v20, v21}, s2.strategyTensors().get("opt/v/w"), TOL);
    double m20 = 0.9 * 0.1 + 0.1 * d0;
    double m21 = 0.9 * -0.2 + 0.1 * d1;
    assertClose(
        new double[] {
          x10 + LR * m20 / (Math.sqrt(v20) + TAU), x11 + LR * m21 / (Math.sqrt(v21) + TAU)
        },
        s2.global().get("w"),
        TOL);
  }

  @Test
  void fedAdagradOneStep() {
    FedAvg s = with(ServerOptimizer.fedAdagrad(LR, B1, TAU));
    ServerState s1 = step(s, start(s), 2, 0);
    // v_1 = tau^2 + delta^2 = (1 + 1e-6, 4 + 1e-6)
    assertClose(new double[] {1 + 1e-6, 4 + 1e-6}, s1.strategyTensors().get("opt/v/w"), TOL);
    assertClose(
        new double[] {
          1 + LR * 0.1 / (Math.sqrt(1 + 1e-6) + TAU), 2 + LR * -0.2 / (Math.sqrt(4 + 1e-6) + TAU)
        },
        s1.global().get("w"),
        TOL);
  }

  @Test
  void aTensorNobodySentKeepsValueAndMoments() {
    FedAvg s = with(ServerOptimizer.fedAdam(LR, B1, B2, TAU));
    ServerState s0 = start(s);
    ServerState s1 = step(s, s0, 2, 0);
    assertSame(s0.global().get("other"), s1.global().get("other"));
    assertFalse(s1.strategyTensors().containsKey("opt/m/other"));
    ServerState s2 =
        s.aggregate(s1, 2, List.of(update("a", 1, "other", vec(6))), List.of()).state();
    assertSame(s1.global().get("w"), s2.global().get("w"));
    assertSame(s1.strategyTensors().get("opt/m/w"), s2.strategyTensors().get("opt/m/w"));
    assertSame(s1.strategyTensors().get("opt/v/w"), s2.strategyTensors().get("opt/v/w"));
  }

  @Test
  void resumeFromSerializedStateIsBitExact() {
    for (ServerOptimizer o :
        List.of(
            ServerOptimizer.fedAvgM(0.7, 0.9),
            ServerOptimizer.fedAdam(LR, B1, B2, TAU),
            ServerOptimizer.fedYogi(LR, B1, B2, TAU))) {
      FedAvg s = with(o);
      ServerState s1 = step(s, start(s), 2, 0);
      ServerState resumed = ServerState.fromBytes(s1.toBytes(), "checkpoint");
      ServerState straight = step(s, s1, 0.3f, -0.7f);
      ServerState replayed = step(s, resumed, 0.3f, -0.7f);
      assertEquals(straight, replayed, o.describe());
      assertEquals(straight.fingerprint(), replayed.fingerprint());
    }
  }

  @Test
  void invalidParametersAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ServerOptimizer.fedAdam(0.1, 1.0, 0.99, 1e-3));
    assertTrue(e.getMessage().contains("beta1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ServerOptimizer.fedYogi(0.1, 0.9, 0.9, 0));
    assertThrows(IllegalArgumentException.class, () -> ServerOptimizer.fedAvg(0));
  }
}
