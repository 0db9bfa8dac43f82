package org.fedpeft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.peft.ravan.RavanAdapter;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.SampleLevelDp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ravan's head_selection = gradient under sample-level DP: a client with a budget below 1 scored
 * its heads by the gradient norms of one mini-batch of its data, computed without noise, and the
 * heads it then trained and uploaded (and reported in heads_mask) followed from them, outside what
 * the DP-SGD accountant counts. A client under DP-SGD now refuses to probe; without DP it probes.
 */
class SampleDpGradientProbeClientTest {

  static final ModelSpec RAVAN =
      new ModelSpec(
          "ravan", Map.of("heads", "2", "rank", "2", "head_selection", "gradient"), 7, 3, 8);

  @BeforeAll
  static void setUp() throws Exception {
    PeftClientTest.setUp();
  }

  @AfterAll
  static void tearDown() {
    PeftClientTest.tearDown();
  }

  private static Map<String, String> config(SampleLevelDp.Config dp) {
    String fp = PeftClientTest.fingerprintOf(RAVAN);
    Map<String, String> config =
        new TreeMap<>(
            RunSettingsFixtures.classification(RAVAN, 2, 1e-2, 4, 0, 1.0, 0, dp, fp).toConfig());
    config.put(RavanAdapter.BUDGET_KEY, "0.5"); // one head of two: the heads are scored
    return config;
  }

  private static PeftClient client() {
    return new PeftClient(
        PeftClientTest.data,
        PeftClientTest.models,
        ClientStateStore.inMemory(),
        (r, p) -> GaussianNoise.seededForTestsOnly(r * 31L + p),
        1);
  }

  @Test
  void aClientUnderSampleDpRefusesToProbeGradients() {
    SampleLevelDp.Config dp = new SampleLevelDp.Config(new DpSgd.Config(1.0, 1.0, 4), 0, 1e-5);
    Map<String, String> config = config(dp);
    Exception e =
        assertThrows(
            UnsupportedOperationException.class,
            () ->
                client().fit(new FitInstructions("c", 1, PeftClientTest.globalOf(RAVAN), config)));
    assertTrue(e.getMessage().contains("sample-level DP"), e.getMessage());
  }

  @Test
  void withoutDpTheClientProbesAndTrainsOneHead() {
    Map<String, Double> metrics =
        client()
            .fit(new FitInstructions("c", 1, PeftClientTest.globalOf(RAVAN), config(null)))
            .metrics();
    assertEquals(1.0, metrics.get("adapter.heads_trained"), metrics.toString());
  }
}
