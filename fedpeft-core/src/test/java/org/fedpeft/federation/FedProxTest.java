package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.assertTensor;
import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

class FedProxTest {

  @Test
  void proximalGradientByHand() {
    // g + mu (w - w0) = (1, 2) + 0.5 ((3, 4) - (1, 1)) = (2, 3.5)
    assertTensor(vec(2, 3.5f), FedProx.addProximalGradient(vec(1, 2), vec(3, 4), vec(1, 1), 0.5));
    // mu = 0 leaves the gradient alone
    assertTensor(vec(1, 2), FedProx.addProximalGradient(vec(1, 2), vec(3, 4), vec(1, 1), 0));
  }

  @Test
  void tensorsWithoutAGlobalValueAreLeftAlone() {
    HostTensor localGrad = vec(5);
    Map<String, HostTensor> g =
        FedProx.addProximalGradient(
            Fx.tensors("w", vec(1, 2), "local", localGrad),
            Fx.tensors("w", vec(3, 4), "local", vec(9)),
            Fx.tensors("w", vec(1, 1)),
            0.5);
    assertTensor(vec(2, 3.5f), g.get("w"));
    assertSame(localGrad, g.get("local"));
    // (mu / 2) ||w - w0||^2 = 0.25 (4 + 9)
    assertEquals(
        3.25, FedProx.proximalTerm(Fx.tensors("w", vec(3, 4)), Fx.tensors("w", vec(1, 1)), 0.5), 0);
  }

  @Test
  void badInputIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> FedProx.addProximalGradient(vec(1), vec(1, 2), vec(1, 2), 0.1));
    assertThrows(
        IllegalArgumentException.class,
        () -> FedProx.addProximalGradient(vec(1), vec(1), vec(1), -1));
  }
}
