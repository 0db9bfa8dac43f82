package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** The --help of embed, retrieve, eval, tasks and privacy. */
class AuditedCommandsHelpTest {

  /**
   * QA, 3 December: some options showed picocli's field names as their values (--batch-size=
   * &lt;batchSize&gt;, --seed=&lt;seed&gt;, --split=&lt;split&gt;); each names its value as the
   * others do.
   */
  @Test
  void everyOptionValueHasALabel() {
    String[][] commands = {
      {"embed"},
      {"retrieve"},
      {"eval"},
      {"tasks", "list"},
      {"tasks", "export"},
      {"privacy", "epsilon"},
      {"privacy", "noise"}
    };
    for (String[] c : commands) {
      String[] args = java.util.Arrays.copyOf(c, c.length + 1);
      args[c.length] = "--help";
      CliRun.Result r = CliRun.run(args);
      assertEquals(0, r.code(), String.join(" ", c) + ": " + r.err());
      assertFalse(r.out().contains("=<"), String.join(" ", c) + ":\n" + r.out());
    }
  }
}
