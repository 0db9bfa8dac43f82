package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The --help of every command: option value labels; what eval says it prints and reads. */
class AuditedCommandsHelpTest {

  /**
   * QA, 3 December: some options showed picocli's field names as their values (--batch-size=
   * &lt;batchSize&gt;, --seed=&lt;seed&gt;, --split=&lt;split&gt;); each names its value as the
   * others do. Docs audit, 5 December: the check covered eight commands, and train (--steps=
   * &lt;steps&gt;, --lr=&lt;lr&gt;, ...), info (--budget, --labels) and server
   * (--rejoin-wait-seconds) still showed field names; it now walks every command Main declares.
   */
  @Test
  void everyOptionValueHasALabel() {
    java.util.List<String[]> commands = new java.util.ArrayList<>();
    collect(
        Main.newCommandLine(
            new java.io.PrintWriter(java.io.Writer.nullWriter()),
            new java.io.PrintWriter(java.io.Writer.nullWriter())),
        new String[0],
        commands);
    assertTrue(commands.size() >= 17, commands.size() + " commands");
    for (String[] c : commands) {
      String[] args = java.util.Arrays.copyOf(c, c.length + 1);
      args[c.length] = "--help";
      CliRun.Result r = CliRun.run(args);
      assertEquals(0, r.code(), String.join(" ", c) + ": " + r.err());
      assertFalse(r.out().contains("=<"), String.join(" ", c) + ":\n" + r.out());
    }
  }

  /** Adds the path of every subcommand under {@code command} (itself included, but not help). */
  private static void collect(
      picocli.CommandLine command, String[] path, java.util.List<String[]> into) {
    into.add(path);
    command
        .getSubcommands()
        .forEach(
            (name, sub) -> {
              if (!name.equals("help") && sub.getCommandName().equals(name)) {
                String[] longer = java.util.Arrays.copyOf(path, path.length + 1);
                longer[path.length] = name;
                collect(sub, longer, into);
              }
            });
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

  /**
   * QA, 5 December: --model's help said "With a saved adapter, the default is the model it was
   * trained on" under every command, train and info included, which load no saved adapter: there
   * the default is always the bundled model.
   */
  @Test
  void modelHelpNamesTheAdapterDefaultOnlyWhereAnAdapterIsLoaded() {
    String sentence = "With a saved adapter, the default is the model it was trained on";
    for (String command : new String[] {"train", "info"}) {
      String help = CliRun.run(command, "--help").out().replaceAll("\\s+", " ");
      assertTrue(help.contains("all-minilm-l6-v2, the bundled default."), command + ": " + help);
      assertFalse(help.contains(sentence), command + ": " + help);
    }
    for (String command : new String[] {"eval", "predict", "embed", "retrieve"}) {
      String help = CliRun.run(command, "--help").out().replaceAll("\\s+", " ");
      assertTrue(help.contains(sentence), command + ": " + help);
    }
  }
}
