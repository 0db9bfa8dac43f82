package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The --help of embed, retrieve, eval, predict, tasks and privacy. */
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
      {"predict"},
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

  /**
   * QA, 3 December: eval's --help said it "prints accuracy and loss", but for a retrieval task or
   * corpus it also prints the ranking metrics, and for a multi-task head each task's accuracy.
   */
  @Test
  void evalHelpSaysWhatItPrints() {
    String help = CliRun.run("eval", "--help").out().replaceAll("\\s+", " ");
    assertTrue(help.contains("top-1, recall@5, recall@10 and MRR"), help);
    assertTrue(help.contains("each task's accuracy"), help);
  }

  /**
   * QA, 3 December: eval's --data, shared with train, was "Your training data"; eval trains nothing
   * and evaluates a split of it.
   */
  @Test
  void evalDataIsNotCalledTrainingData() {
    String help = CliRun.run("eval", "--help").out().replaceAll("\\s+", " ");
    assertFalse(help.contains("training data"), help);
    assertTrue(help.contains("eval evaluates the test or validation part"), help);
  }
}
