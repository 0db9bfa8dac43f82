package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.assertTensor;
import static org.fedpeft.federation.Fx.update;
import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

class ValidationTest {

  private final FedAvg strategy =
      new FedAvg(StrategyOptions.defaults().withWeighting(Weighting.UNIFORM).withMinClients(2));
  private final ServerState s0 =
      strategy.initialize(
          Fx.tensors("w", vec(0, 0), "h", new HostTensor(new long[] {1, 2}, new float[2])));

  private static Map<String, String> reasons(Aggregation a) {
    return a.failures().stream()
        .collect(Collectors.toMap(ClientFailure::clientId, ClientFailure::reason));
  }

  @Test
  void badUpdatesAreExcludedWithTheirReasonAndTheRoundCompletes() {
    List<ClientUpdate> replies =
        List.of(
            update("good1", 1, "w", vec(1, 1)),
            update("good2", 1, "w", vec(3, 3)),
            update("nan", 1, "w", vec(1, Float.NaN)),
            update("inf", 1, "w", vec(Float.NEGATIVE_INFINITY, 1)),
            update("shape", 1, "w", vec(1, 2, 3)),
            update("unknown", 1, "w", vec(1, 1), "local.adapter", vec(1)),
            update("zero", 0, "w", vec(1, 1)),
            update("negative", -5, "w", vec(1, 1)),
            update("empty", 1));
    Aggregation a = strategy.aggregate(s0, 1, replies, List.of());
    assertEquals(List.of("good1", "good2"), a.accepted());
    assertTensor(vec(2, 2), a.state().global().get("w"));
    Map<String, String> r = reasons(a);
    assertEquals(7, r.size());
    assertEquals("tensor 'w' has NaN at index 1", r.get("nan"));
    assertEquals("tensor 'w' has -Infinity at index 0", r.get("inf"));
    assertEquals("tensor 'w' has shape [3], expected [2]", r.get("shape"));
    assertTrue(r.get("unknown").startsWith("sent tensor 'local.adapter', which is not accepted"));
    assertTrue(r.get("zero").contains("0 training examples"));
    assertTrue(r.get("negative").contains("-5 training examples"));
    assertEquals("sent no tensors", r.get("empty"));
    a.failures().forEach(f -> assertEquals(ClientFailure.Kind.REJECTED, f.kind()));
    assertEquals(7.0, a.metrics().get("server.clients_failed"));
  }

  @Test
  void transportFailuresAreCarriedAndDuplicatesRejected() {
    List<ClientFailure> given =
        List.of(new ClientFailure("gone", ClientFailure.Kind.TIMEOUT, "no reply in 5 ms"));
    Aggregation a =
        strategy.aggregate(
            s0,
            1,
            List.of(
                update("a", 1, "w", vec(1, 1)),
                update("b", 1, "w", vec(3, 3)),
                update("twice", 1, "w", vec(9, 9)),
                update("twice", 1, "w", vec(9, 9)),
                update("gone", 1, "w", vec(9, 9))),
            given);
    assertEquals(List.of("a", "b"), a.accepted());
    assertEquals(
        List.of("gone", "gone", "twice"),
        a.failures().stream().map(ClientFailure::clientId).toList());
    assertEquals(ClientFailure.Kind.TIMEOUT, a.failures().get(0).kind());
    assertTrue(reasons2(a, "twice").contains("2 replies"));
  }

  private static String reasons2(Aggregation a, String id) {
    return a.failures().stream().filter(f -> f.clientId().equals(id)).findFirst().get().reason();
  }

  @Test
  void tooFewValidClientsFailTheRoundAndLeaveTheStateUntouched() {
    byte[] before = s0.toBytes();
    List<ClientUpdate> replies =
        List.of(update("ok", 1, "w", vec(1, 1)), update("nan", 1, "w", vec(Float.NaN, 0)));
    List<ClientFailure> failed =
        List.of(new ClientFailure("slow", ClientFailure.Kind.TIMEOUT, "did not finish"));
    RoundFailedException e =
        assertThrows(RoundFailedException.class, () -> strategy.aggregate(s0, 1, replies, failed));
    assertEquals(1, e.round());
    assertEquals(1, e.succeeded());
    assertEquals(2, e.required());
    assertEquals(2, e.failures().size());
    assertTrue(
        e.getMessage().startsWith("round 1 failed: 1 client contributed, at least 2 required"),
        e.getMessage());
    assertTrue(e.getMessage().contains("nan (rejected: tensor 'w' has NaN at index 0)"));
    assertTrue(e.getMessage().contains("slow (timeout: did not finish)"));
    assertArrayEquals(before, s0.toBytes());
    assertEquals(0, s0.round());
  }

  @Test
  void validatorChecksInOrder() {
    Map<String, long[]> accepted = Map.of("w", new long[] {2});
    assertTrue(UpdateValidator.check(update("a", 1, "w", vec(1, 2)), accepted).isEmpty());
    // the example count is checked first
    assertEquals(
        "reported 0 training examples; at least 1 is required",
        UpdateValidator.check(update("a", 0, "w", vec(Float.NaN)), accepted).orElseThrow());
  }
}
