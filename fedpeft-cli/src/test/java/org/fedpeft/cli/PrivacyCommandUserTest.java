package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code fedpeft privacy} as a user runs it. */
class PrivacyCommandUserTest {

  /**
   * QA, 3 December: a bad --orders value said "each order (alpha) must be in (1, 1000000.0], got
   * 0.5" without naming the option, and --help said only "each > 1". The message names --orders,
   * and --help gives the bound and that the orders must be distinct.
   */
  @Test
  void badOrdersNameTheOptionAndHelpGivesTheBounds() {
    for (String sub : new String[] {"epsilon", "noise"}) {
      String value = sub.equals("epsilon") ? "--noise-multiplier=1" : "--target-epsilon=8";
      CliRun.Result r =
          CliRun.run(
              "privacy",
              sub,
              "--sample-rate=0.01",
              value,
              "--steps=10",
              "--delta=1e-5",
              "--orders=2,0.5");
      assertEquals(2, r.code(), r.err());
      assertEquals(
          "fedpeft privacy "
              + sub
              + ": --orders: each order (alpha) must be in (1, 1000000.0], got 0.5",
          r.err().strip());
      r =
          CliRun.run(
              "privacy",
              sub,
              "--sample-rate=0.01",
              value,
              "--steps=10",
              "--delta=1e-5",
              "--orders=2,3,2");
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains(": --orders: orders must be distinct, 2.0 repeats"), r.err());
      CliRun.Result help = CliRun.run("privacy", sub, "--help");
      assertTrue(
          help.out().replaceAll("\\s+", " ").contains("distinct, each > 1 and <= 1000000.0"),
          help.out());
    }
  }
}
