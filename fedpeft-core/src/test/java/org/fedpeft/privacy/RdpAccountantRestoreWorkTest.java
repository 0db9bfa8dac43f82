package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Restoring an accountant from its JSON replays its history, and a simulation under sample-level DP
 * restores one per client it trains and, every round, one per client that has one (the largest and
 * mean epsilon of metrics.jsonl): the per-step RDP of a (q, sigma) is computed once per process,
 * not once per restore, or a run of 1,000 clients spends seconds per round on it.
 */
class RdpAccountantRestoreWorkTest {

  @Test
  void restoringAccountantsComputesEachPerStepVectorOnce() {
    // A (q, sigma) pair no other test uses, so that no earlier test computed its vector.
    double q = 0.0123456789;
    double sigma = 1.0987654321;
    long before = RdpAccountant.perStepComputations();
    RdpAccountant acc = new RdpAccountant().step(q, sigma, 15).step(q / 2, sigma, 15);
    assertEquals(2, RdpAccountant.perStepComputations() - before, "the two charged pairs");
    String json = acc.toJson();
    double epsilon = acc.getEpsilon(1e-5);
    // 1,000 clients' accountants, as one round's epsilon summary restores them.
    for (int client = 0; client < 1000; client++) {
      RdpAccountant restored = RdpAccountant.fromJson(json);
      assertEquals(epsilon, restored.getEpsilon(1e-5), 0.0);
      restored.step(q, sigma, 15);
    }
    assertEquals(
        2,
        RdpAccountant.perStepComputations() - before,
        "restoring and charging again at the same (q, sigma) computes nothing more");
  }
}
