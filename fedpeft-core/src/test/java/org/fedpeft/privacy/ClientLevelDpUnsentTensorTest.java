package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Map;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.RoundContext;
import org.fedpeft.federation.ServerState;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * Client-level DP added noise only to the tensors some client sent. Under Ravan with budgets below
 * 1 (a client sends the cores of the heads it trained), FedBE (the blocks it was assigned) or a
 * multi-task run (the heads of its tasks), a tensor nobody sent stayed exactly at its value, so the
 * released model showed whether a single client had sent it: no Gaussian noise covered that. Every
 * global tensor is now released with noise.
 */
class ClientLevelDpUnsentTensorTest {

  static final ServerState START =
      ServerState.initial(
          Map.of(
              "head0", new HostTensor(new long[] {2}, new float[] {1, 1}),
              "head1", new HostTensor(new long[] {2}, new float[] {5, 5})),
          "t");

  static ClientLevelDp dp(double z) {
    return new ClientLevelDp(
        new ClientLevelDp.Config(1.0, z, 2, 10, 1e-5, 0, false, 0.5, 0.2, 1.0, true),
        GaussianNoise.seededForTestsOnly(3));
  }

  @Test
  void aTensorNobodySentIsReleasedWithNoiseToo() {
    ClientUpdate onlyHead0 =
        new ClientUpdate(
            "c1", Map.of("head0", new HostTensor(new long[] {2}, new float[] {1.5f, 1})), 10);
    Map<String, HostTensor> out = dp(1.0).aggregate(new RoundContext(START, 1, List.of(onlyHead0)));
    assertEquals(List.of("head0", "head1"), List.copyOf(out.keySet()));
    float[] h1 = out.get("head1").data();
    assertNotEquals(5f, h1[0]);
    assertNotEquals(5f, h1[1]);
    assertArrayEquals(new long[] {2}, out.get("head1").shape());
  }

  @Test
  void withoutNoiseAnUnsentTensorKeepsItsValue() {
    ClientUpdate onlyHead0 =
        new ClientUpdate(
            "c1", Map.of("head0", new HostTensor(new long[] {2}, new float[] {1.5f, 1})), 10);
    Map<String, HostTensor> out = dp(0.0).aggregate(new RoundContext(START, 1, List.of(onlyHead0)));
    assertArrayEquals(new float[] {5, 5}, out.get("head1").data(), 0f);
    assertArrayEquals(new float[] {1.25f, 1}, out.get("head0").data(), 1e-6f);
  }
}
