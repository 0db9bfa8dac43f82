package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code fedpeft info} refuses adapter options that its {@code --strategy} and {@code --budget}
 * make inert, as simulate refuses them for {@code server.strategy} and {@code client.budgets} (QA,
 * 4 December: info read only the options among themselves, so it printed a FedBE allocation without
 * --strategy fedbe, and Ravan's head_selection without --budget, that simulate refuses).
 */
class InfoInertInFederationCliTest {

  @Test
  void fedBeAllocationWithoutTheFedBeStrategyIsRefusedNamingTheFlag() {
    CliRun.Result r =
        CliRun.run(
            "info", "--adapter", "fedbe", "--adapter-options", "blocks=3,allocation=coverage");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "--adapter-options allocation=coverage does nothing with --adapter fedbe without"
                    + " --strategy fedbe: "),
        r.err());
    assertTrue(r.err().contains("give --strategy fedbe, or leave out allocation"), r.err());
    assertEquals("", r.out());
    // With the strategy that reads it, info counts as before.
    r =
        CliRun.run(
            "info",
            "--adapter",
            "fedbe",
            "--adapter-options",
            "blocks=3,allocation=coverage",
            "--strategy",
            "fedbe",
            "--budget",
            "0.5");
    assertEquals(0, r.code(), r.err());
  }

  @Test
  void ravanHeadSelectionWithoutABudgetIsRefusedNamingTheFlag() {
    CliRun.Result r =
        CliRun.run(
            "info", "--adapter", "ravan", "--adapter-options", "heads=4,head_selection=gradient");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "--adapter-options head_selection=gradient does nothing with --adapter ravan"
                    + " without --budget: "),
        r.err());
    assertTrue(r.err().contains("leave out head_selection"), r.err());
    assertEquals("", r.out());
    r =
        CliRun.run(
            "info",
            "--adapter",
            "ravan",
            "--adapter-options",
            "heads=4,head_selection=gradient",
            "--budget",
            "0.5");
    assertEquals(0, r.code(), r.err());
  }
}
