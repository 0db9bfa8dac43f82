package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.assertTensor;
import static org.fedpeft.federation.Fx.update;
import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

class WeightedMeanTest {

  private static final Map<String, HostTensor> REF =
      Fx.tensors("w", vec(0, 0), "h", vec(0), "unsent", vec(7));

  @Test
  void uniformMeanIsThePlainAverage() {
    List<ClientUpdate> u = List.of(update("a", 1, "w", vec(1, 2)), update("b", 3, "w", vec(3, 6)));
    Map<String, HostTensor> m = WeightedMean.mean(REF, u, Weighting.UNIFORM);
    // (1 + 3) / 2 = 2, (2 + 6) / 2 = 4
    assertTensor(vec(2, 4), m.get("w"));
  }

  @Test
  void exampleWeightedMeanWeighsByCount() {
    List<ClientUpdate> u = List.of(update("a", 1, "w", vec(1, 2)), update("b", 3, "w", vec(3, 6)));
    Map<String, HostTensor> m = WeightedMean.mean(REF, u, Weighting.EXAMPLES);
    // (1*1 + 3*3) / 4 = 2.5, (1*2 + 3*6) / 4 = 5
    assertTensor(vec(2.5f, 5), m.get("w"));
  }

  @Test
  void aTensorSentByASubsetIsAveragedOverItsSendersOnly() {
    List<ClientUpdate> u =
        List.of(
            update("a", 1, "w", vec(1, 0)),
            update("b", 3, "w", vec(2, 0), "h", vec(1)),
            update("c", 4, "w", vec(4, 0), "h", vec(5)));
    Map<String, HostTensor> ex = WeightedMean.mean(REF, u, Weighting.EXAMPLES);
    // w: (1*1 + 3*2 + 4*4) / 8 = 23/8; h over b and c only: (3*1 + 4*5) / 7 = 23/7
    assertTensor(vec(2.875f, 0), ex.get("w"));
    assertTensor(vec((float) (23.0 / 7)), ex.get("h"));
    Map<String, HostTensor> un = WeightedMean.mean(REF, u, Weighting.UNIFORM);
    // h: (1 + 5) / 2 = 3, not (0 + 1 + 5) / 3
    assertTensor(vec(3), un.get("h"));
    assertTensor(vec((float) (7.0 / 3), 0), un.get("w"));
    // a tensor nobody sent has no target
    assertFalse(ex.containsKey("unsent"));
    assertEquals(2, ex.size());
  }

  @Test
  void resultDoesNotDependOnReplyOrder() {
    ClientUpdate a = update("a", 3, "w", vec(0.1f, 0.7f));
    ClientUpdate b = update("b", 5, "w", vec(0.2f, 1e-7f));
    ClientUpdate c = update("c", 7, "w", vec(0.3f, 3e7f));
    Map<String, HostTensor> abc = WeightedMean.mean(REF, List.of(a, b, c), Weighting.EXAMPLES);
    Map<String, HostTensor> cab = WeightedMean.mean(REF, List.of(c, a, b), Weighting.EXAMPLES);
    assertEquals(abc, cab);
  }

  @Test
  void shapeMismatchThrows() {
    List<ClientUpdate> u = List.of(update("a", 1, "w", vec(1, 2, 3)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> WeightedMean.mean(REF, u, Weighting.UNIFORM));
    assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("[2]"), e.getMessage());
  }
}
