package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * {@code fedpeft info --adapter fedbe --strategy fedbe --budget B}: a FedBE client's upload per
 * round, ceil(B m) of the m new blocks plus the head, counted on the bundled MiniLM. QA, 3
 * December: info refused --budget with fedbe ("which info does not count"), though every block has
 * the same parameters, so the budget alone gives the upload.
 */
class InfoFedBeBudgetCliTest {

  /**
   * One new block by hand, MiniLM (hidden H = 384, feed-forward F = 1536): LN_a (2H), Q, K, V (3
   * (H^2 + H)), W_o and b_o (H^2 + H), LN_f (2H), W_1 and b_1 (H F + F), W_2 and b_2 (F H + H).
   */
  static final long BLOCK;

  static {
    long h = 384;
    long f = 1536;
    BLOCK = 2 * h + 3 * (h * h + h) + (h * h + h) + 2 * h + (h * f + f) + (f * h + h);
  }

  /** The 25-label head: 25 x 384 weights and 25 biases. */
  static final long HEAD = 25 * 384 + 25;

  private static String upload(String budget, long blocks) {
    return String.format(
        Locale.ROOT,
        "upload per round (budget %s): adapter %,d + head %,d = %,d parameters",
        budget,
        blocks * BLOCK,
        HEAD,
        blocks * BLOCK + HEAD);
  }

  @Test
  void aClientUploadsCeilOfItsBudgetTimesTheBlocks() {
    assertEquals(1_774_464, BLOCK);
    // m = 3: budget 0.5 trains ceil(1.5) = 2 blocks, 0.25 ceil(0.75) = 1, 1 all three.
    String[][] cases = {{"0.5", "2"}, {"0.25", "1"}, {"1", "3"}};
    for (String[] c : cases) {
      CliRun.Result r =
          CliRun.run(
              "info",
              "--adapter",
              "fedbe",
              "--adapter-options",
              "blocks=3",
              "--strategy",
              "fedbe",
              "--budget",
              c[0]);
      assertEquals(0, r.code(), r.err());
      assertTrue(
          r.out().contains(String.format(Locale.ROOT, "adapter parameters: %,d", 3 * BLOCK)),
          r.out());
      String b = Double.toString(Double.parseDouble(c[0]));
      assertTrue(r.out().contains(upload(b, Long.parseLong(c[1]))), c[0] + ": " + r.out());
    }
  }

  /** Without --strategy fedbe every client trains every block, so --budget is still refused. */
  @Test
  void aBudgetWithoutTheFedBeStrategyIsRefusedNamingIt() {
    CliRun.Result r = CliRun.run("info", "--adapter", "fedbe", "--budget", "0.5");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("--budget 0.5 does nothing with --adapter fedbe without --strategy fedbe"),
        r.err());
    assertTrue(r.err().contains("give --strategy fedbe, or leave out --budget"), r.err());
    assertEquals("", r.out());
    // One block: every client trains it at any budget.
    r =
        CliRun.run(
            "info",
            "--adapter",
            "fedbe",
            "--adapter-options",
            "blocks=1",
            "--strategy",
            "fedbe",
            "--budget",
            "0.5");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "with --adapter-options blocks=1 a client of --strategy fedbe uploads the same at"
                    + " every budget"),
        r.err());
    r = CliRun.run("info", "--strategy", "fedbe");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--strategy fedbe needs --adapter fedbe"), r.err());
  }
}
