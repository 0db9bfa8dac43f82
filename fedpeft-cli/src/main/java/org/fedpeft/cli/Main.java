package org.fedpeft.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fedpeft} command. */
@Command(
    name = "fedpeft",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Federated, parameter-efficient fine-tuning of small transformer language models.",
      "The model stays frozen; small adapters are trained and exchanged."
    },
    subcommands = {
      TrainCommand.class,
      SimulateCommand.class,
      PrivacyCommand.class,
      EvalCommand.class,
      EmbedCommand.class,
      RetrieveCommand.class,
      InfoCommand.class,
      TasksCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return newCommandLine(out, err).execute(args);
  }

  /**
   * The configured command line: a bad option or value prints one line on stderr and exits 2; an
   * invalid input found while running (a bad file, a bad value in a config) also exits 2; any other
   * failure exits 1 with its message.
   */
  public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          String cmd = ex.getCommandLine().getCommandSpec().qualifiedName();
          ex.getCommandLine()
              .getErr()
              .println(cmd + ": " + ex.getMessage() + " (see '" + cmd + " --help')");
          return 2;
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          String cmd = commandLine.getCommandSpec().qualifiedName();
          boolean userError =
              ex instanceof IllegalArgumentException || ex instanceof UserInputException;
          commandLine.getErr().println(cmd + ": " + describe(ex));
          if (!userError && System.getenv("FEDPEFT_DEBUG") != null) {
            ex.printStackTrace(commandLine.getErr());
          }
          return userError ? 2 : 1;
        });
    return cl;
  }

  private static String describe(Throwable ex) {
    String m = ex.getMessage();
    if (m == null || m.isBlank()) {
      m = ex.getClass().getSimpleName();
    }
    return m.replace('\n', ' ');
  }
}
