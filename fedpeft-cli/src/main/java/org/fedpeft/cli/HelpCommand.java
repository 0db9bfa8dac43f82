package org.fedpeft.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fedpeft help [COMMAND...]}: the usage help of a command, following a path of subcommands
 * ({@code help tasks export}); picocli's own help command reads only the first name and so showed
 * {@code tasks}' help for {@code tasks export}. An unknown name is a parameter error of the command
 * it follows, naming it.
 */
@Command(
    name = "help",
    helpCommand = true,
    header = "Display help information about the specified command.",
    description = {
      "%nWhen no COMMAND is given, the usage help for the main command is displayed.",
      "If a COMMAND is specified, the help for that command is shown; a subcommand follows its"
          + " command (help tasks export).%n"
    },
    synopsisHeading = "%nUsage: ")
final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Runnable {

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show usage help for the help command and exit.")
  boolean helpRequested;

  @Parameters(
      paramLabel = "COMMAND",
      description = "The COMMAND to display the usage help message for.")
  String[] commands = new String[0];

  private CommandLine self;
  private Help.ColorScheme colors;
  private PrintWriter out;

  @Override
  public void init(
      CommandLine helpCommandLine,
      Help.ColorScheme colorScheme,
      PrintWriter outWriter,
      PrintWriter errWriter) {
    this.self = helpCommandLine;
    this.colors = colorScheme;
    this.out = outWriter;
  }

  @Override
  public void run() {
    CommandLine target = self.getParent();
    for (String name : commands) {
      CommandLine sub = target.getSubcommands().get(name);
      if (sub == null) {
        throw new CommandLine.ParameterException(target, "Unknown subcommand '" + name + "'.");
      }
      target = sub;
    }
    target.usage(out, colors);
  }
}
