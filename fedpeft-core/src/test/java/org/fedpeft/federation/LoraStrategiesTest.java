package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.assertTensor;
import static org.fedpeft.federation.Fx.mat;
import static org.fedpeft.federation.Fx.update;
import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/** FedAvg, FedIT, FFA-LoRA and FedEx-LoRA on one LoRA module "m": A (1 x 2), B (2 x 1). */
class LoraStrategiesTest {

  private static final String A = "m.lora_A";
  private static final String B = "m.lora_B";

  private static Map<String, HostTensor> initial() {
    return Fx.tensors(A, mat(1, 2, 0.5f, -0.5f), B, mat(2, 1, 0, 0), "head", vec(9, 8));
  }

  private static StrategyOptions uniform() {
    return StrategyOptions.defaults().withWeighting(Weighting.UNIFORM);
  }

  @Test
  void fedAvgAveragesSentTensorsAndKeepsTheRest() {
    FedAvg s = new FedAvg(StrategyOptions.defaults());
    ServerState s0 = s.initialize(Fx.tensors("w", vec(0, 0), "head", vec(9)));
    ClientUpdate a =
        new ClientUpdate("a", Fx.tensors("w", vec(1, 2)), 1, Map.of("train_loss", 2.0), Map.of());
    ClientUpdate b =
        new ClientUpdate("b", Fx.tensors("w", vec(3, 6)), 3, Map.of("train_loss", 1.0), Map.of());
    Aggregation r = s.aggregate(s0, 1, List.of(b, a), List.of());
    assertEquals(1, r.state().round());
    assertTensor(vec(2.5f, 5), r.state().global().get("w"));
    assertSame(s0.global().get("head"), r.state().global().get("head"));
    assertEquals(List.of("a", "b"), r.accepted());
    // example-weighted training loss: (1*2 + 3*1) / 4
    assertEquals(1.25, r.metrics().get("train_loss"), 0);
    assertEquals(2.0, r.metrics().get("server.clients_accepted"), 0);
    // update norm: ||(2.5, 5) - (0, 0)||
    assertEquals(Math.sqrt(2.5 * 2.5 + 25), r.metrics().get("server.update_norm"), 1e-12);
  }

  @Test
  void fedItAveragesAAndBSeparately() {
    FedIt s = new FedIt(uniform());
    ServerState s0 = s.initialize(initial());
    Map<String, FitInstructions> ins = s.configureRound(s0, 1, List.of("a", "b"));
    assertEquals(s0.global(), ins.get("a").tensors());
    Aggregation r =
        s.aggregate(
            s0,
            1,
            List.of(
                update("a", 1, A, mat(1, 2, 1, 2), B, mat(2, 1, 3, 4)),
                update("b", 1, A, mat(1, 2, 3, 4), B, mat(2, 1, 1, 0))),
            List.of());
    assertTensor(mat(1, 2, 2, 3), r.state().global().get(A));
    assertTensor(mat(2, 1, 2, 2), r.state().global().get(B));
    assertTensor(vec(9, 8), r.state().global().get("head"));
  }

  @Test
  void fedItRejectsAFactorWithoutItsPartner() {
    FedIt s = new FedIt(uniform());
    ServerState s0 = s.initialize(initial());
    Aggregation r =
        s.aggregate(
            s0,
            1,
            List.of(
                update("a", 1, A, mat(1, 2, 1, 2)),
                update("b", 1, A, mat(1, 2, 3, 4), B, mat(2, 1, 1, 0))),
            List.of());
    assertEquals(List.of("b"), r.accepted());
    assertEquals(ClientFailure.Kind.REJECTED, r.failures().get(0).kind());
    assertTrue(
        r.failures().get(0).reason().contains("without 'm.lora_B'"), r.failures().toString());
  }

  @Test
  void ffaLoraNeverSendsOrAcceptsAAndAveragesB() {
    FfaLora s = new FfaLora(uniform());
    ServerState s0 = s.initialize(initial());
    FitInstructions in = s.configureRound(s0, 1, List.of("a", "b")).get("a");
    assertFalse(in.tensors().containsKey(A));
    assertEquals(Fx.tensors(B, mat(2, 1, 0, 0), "head", vec(9, 8)), in.tensors());
    assertEquals(FfaLora.frozenFingerprint(initial()), in.config().get(FfaLora.FROZEN_A_KEY));

    Aggregation r =
        s.aggregate(
            s0,
            1,
            List.of(
                update("a", 1, B, mat(2, 1, 1, 2)),
                update("b", 1, B, mat(2, 1, 3, -2), "head", vec(1, 2)),
                update("c", 1, A, mat(1, 2, 7, 7), B, mat(2, 1, 100, 100))),
            List.of());
    ServerState s1 = r.state();
    assertSame(s0.global().get(A), s1.global().get(A), "A untouched");
    assertTensor(mat(2, 1, 2, 0), s1.global().get(B));
    assertTensor(vec(1, 2), s1.global().get("head"));
    assertEquals(List.of("a", "b"), r.accepted());
    assertTrue(r.failures().get(0).reason().contains("'m.lora_A', which is not accepted"));
  }

  @Test
  void ffaLoraFingerprintDetectsADifferentA() {
    Map<String, HostTensor> other = initial();
    other.put(A, mat(1, 2, 0.5f, -0.25f));
    assertNotEquals(FfaLora.frozenFingerprint(initial()), FfaLora.frozenFingerprint(other));
    // B and heads do not enter the fingerprint
    Map<String, HostTensor> sameA = initial();
    sameA.put(B, mat(2, 1, 5, 5));
    assertEquals(FfaLora.frozenFingerprint(initial()), FfaLora.frozenFingerprint(sameA));
  }

  @Test
  void fedExResidualByHandUniform() {
    double s = 2.0; // alpha / r
    FedExLora strategy = new FedExLora(s, uniform());
    ServerState s0 = strategy.initialize(initial());
    assertTrue(FedExLora.residuals(s0).isEmpty());
    assertFalse(
        strategy.configureRound(s0, 1, List.of("a")).get("a").tensors().containsKey("m.residual"));
    // a: B = [1, 2]^T, A = [3, 4]: B A = [[3, 4], [6, 8]]
    // b: B = [2, 0]^T, A = [1, 0]: B A = [[2, 0], [0, 0]]
    // mean(B A) = [[2.5, 2], [3, 4]]; mean B = [1.5, 1]^T, mean A = [2, 2]:
    // mean B mean A = [[3, 3], [2, 2]]; residual = 2 * ([[2.5, 2], [3, 4]] - [[3, 3], [2, 2]])
    Aggregation r1 =
        strategy.aggregate(
            s0,
            1,
            List.of(
                update("a", 1, A, mat(1, 2, 3, 4), B, mat(2, 1, 1, 2)),
                update("b", 1, A, mat(1, 2, 1, 0), B, mat(2, 1, 2, 0))),
            List.of());
    ServerState s1 = r1.state();
    assertTensor(mat(1, 2, 2, 2), s1.global().get(A));
    assertTensor(mat(2, 1, 1.5f, 1), s1.global().get(B));
    HostTensor res1 = s1.strategyTensors().get("m.residual");
    assertTensor(mat(2, 2, -1, -2, 2, 4), res1);
    // exactness: s * meanB meanA + residual = s * mean(B A)
    assertTensor(mat(2, 2, 5, 4, 6, 8), plus(scaled(product(s1), s), res1));
    assertEquals(Math.sqrt(1 + 4 + 4 + 16), r1.metrics().get("fedex.residual_increment_norm"), 0);

    // the residual travels down under its module name, the accumulated total
    FitInstructions in2 = strategy.configureRound(s1, 2, List.of("a", "b")).get("b");
    assertEquals(res1, in2.tensors().get("m.residual"));

    // round 2: a: B = [1, 0]^T, A = [0, 1]; b: B = [0, 1]^T, A = [1, 0]
    // mean(B A) = [[0, .5], [.5, 0]]; mean B mean A = [[.25, .25], [.25, .25]]
    // increment = 2 * [[-.25, .25], [.25, -.25]]; total = [[-1.5, -1.5], [2.5, 3.5]]
    ServerState s2 =
        strategy
            .aggregate(
                s1,
                2,
                List.of(
                    update("a", 1, A, mat(1, 2, 0, 1), B, mat(2, 1, 1, 0)),
                    update("b", 1, A, mat(1, 2, 1, 0), B, mat(2, 1, 0, 1))),
                List.of())
            .state();
    assertTensor(mat(2, 2, -1.5f, -1.5f, 2.5f, 3.5f), s2.strategyTensors().get("m.residual"));
  }

  @Test
  void fedExResidualByHandExampleWeighted() {
    FedExLora strategy = new FedExLora(2.0, StrategyOptions.defaults());
    ServerState s0 = strategy.initialize(initial());
    // weights a: 1, b: 3
    // mean(B A) = (1 [[3, 4], [6, 8]] + 3 [[2, 0], [0, 0]]) / 4 = [[2.25, 1], [1.5, 2]]
    // mean B = (1 [1, 2] + 3 [2, 0]) / 4 = [1.75, .5]^T; mean A = (1 [3, 4] + 3 [1, 0]) / 4 = [1.5,
    // 1]
    // mean B mean A = [[2.625, 1.75], [.75, .5]]; residual = 2 * [[-.375, -.75], [.75, 1.5]]
    ServerState s1 =
        strategy
            .aggregate(
                s0,
                1,
                List.of(
                    update("a", 1, A, mat(1, 2, 3, 4), B, mat(2, 1, 1, 2)),
                    update("b", 3, A, mat(1, 2, 1, 0), B, mat(2, 1, 2, 0))),
                List.of())
            .state();
    assertTensor(mat(1, 2, 1.5f, 1), s1.global().get(A));
    assertTensor(mat(2, 1, 1.75f, 0.5f), s1.global().get(B));
    assertTensor(mat(2, 2, -0.75f, -1.5f, 1.5f, 3), s1.strategyTensors().get("m.residual"));
  }

  @Test
  void fedExRejectsAResidualInAnUpdateAndServerOptimizers() {
    FedExLora strategy = new FedExLora(2.0, uniform());
    ServerState s0 = strategy.initialize(initial());
    Aggregation r =
        strategy.aggregate(
            s0,
            1,
            List.of(
                update("a", 1, A, mat(1, 2, 3, 4), B, mat(2, 1, 1, 2)),
                update(
                    "b",
                    1,
                    A,
                    mat(1, 2, 3, 4),
                    B,
                    mat(2, 1, 1, 2),
                    "m.residual",
                    mat(2, 2, 1, 1, 1, 1))),
            List.of());
    assertEquals(List.of("a"), r.accepted());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new FedExLora(
                    2.0,
                    uniform().withServerOptimizer(ServerOptimizer.fedAdam(0.1, 0.9, 0.99, 1e-3))));
    assertTrue(e.getMessage().contains("fedadam"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new FedExLora(2.0, uniform().withAggregator(ctx -> Map.of())));
  }

  @Test
  void loraStrategiesRefuseInconsistentInitialShapes() {
    Map<String, HostTensor> bad = Fx.tensors(A, mat(1, 2, 0, 0), B, mat(2, 2, 0, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new FedIt(uniform()).initialize(bad));
    Map<String, HostTensor> unpaired = Fx.tensors(A, mat(1, 2, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new FfaLora(uniform()).initialize(unpaired));
    // QA, 2 December: fedsa-lora (A shared, B local) under fedit gave an internal message
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new FedIt(uniform()).initialize(unpaired));
    assertTrue(
        e.getMessage().startsWith("server.strategy = fedit aggregates each module's LoRA A and B"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("runs with server.strategy = \"fedavg\""), e.getMessage());
  }

  @Test
  void aStateOfAnotherStrategyIsRefused() {
    ServerState s0 = new FedIt(uniform()).initialize(initial());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new FedAvg(StrategyOptions.defaults()).configureRound(s0, 1, List.of("a")));
    assertTrue(e.getMessage().contains("'fedit'"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new FedIt(uniform()).configureRound(s0, 2, List.of("a")),
        "round must be state.round() + 1");
  }

  private static HostTensor product(ServerState s) {
    float[] b = s.global().get(B).data();
    float[] a = s.global().get(A).data();
    return mat(2, 2, b[0] * a[0], b[0] * a[1], b[1] * a[0], b[1] * a[1]);
  }

  private static HostTensor scaled(HostTensor t, double s) {
    float[] out = t.data().clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (out[i] * s);
    }
    return new HostTensor(t.shape(), out);
  }

  private static HostTensor plus(HostTensor x, HostTensor y) {
    float[] out = x.data().clone();
    for (int i = 0; i < out.length; i++) {
      out[i] += y.data()[i];
    }
    return new HostTensor(x.shape(), out);
  }
}
