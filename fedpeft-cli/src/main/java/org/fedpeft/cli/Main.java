package org.fedpeft.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.io.PeftFormatException;
import org.fedpeft.io.RunFolder;
import org.fedpeft.io.RunFolderException;
import org.fedpeft.io.SafetensorsFormatException;
import org.fedpeft.io.Words;
import org.fedpeft.model.ModelFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fedpeft} command. */
@Command(
    name = Launcher.IN_HELP,
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Federated, parameter-efficient fine-tuning of small transformer language models.",
      "The model stays frozen; small adapters are trained and exchanged."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:internal failure (a bug, a full disk, a non-finite result from finite inputs)",
      "2:bad input: an option or value, a missing, malformed or corrupt file (data, model,"
          + " adapter, checkpoint), a run folder in use or holding another run",
      "130:interrupted (Ctrl-C; 143 for SIGTERM); the message says what is saved and how to"
          + " resume"
    },
    subcommands = {
      TrainCommand.class,
      SimulateCommand.class,
      PrivacyCommand.class,
      EvalCommand.class,
      PredictCommand.class,
      EmbedCommand.class,
      RetrieveCommand.class,
      InfoCommand.class,
      CertsCommand.class,
      ServerCommand.class,
      ClientCommand.class,
      NodeCommand.class,
      TasksCommand.class,
      HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  /**
   * gRPC's own java.util.logging warnings (a stack trace on every failed name lookup, say): the
   * commands report each network event in one "network:" line instead. Held here, as a logger that
   * nothing references may be collected and lose its level.
   */
  private static final java.util.logging.Logger GRPC_LOG =
      java.util.logging.Logger.getLogger("io.grpc");

  public static void main(String[] args) {
    GRPC_LOG.setLevel(java.util.logging.Level.SEVERE);
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return newCommandLine(out, err).execute(args);
  }

  /** Every subcommand's --version prints the top command's version (it printed nothing). */
  private static void shareVersion(CommandLine cl, CommandLine.IVersionProvider version) {
    for (CommandLine sub : cl.getSubcommands().values()) {
      sub.getCommandSpec().versionProvider(version);
      shareVersion(sub, version);
    }
  }

  /** Leaves {@code option} of {@code command} out of its --help; it is parsed as before. */
  private static void hideFromHelp(CommandLine command, String option) {
    CommandLine.Model.CommandSpec spec = command.getCommandSpec();
    CommandLine.Model.OptionSpec o = spec.findOption(option);
    spec.remove(o);
    spec.addOption(o.toBuilder().hidden(true).build());
  }

  /**
   * Puts the command name, escaped for picocli, in place of {@link Launcher#IN_HELP} into every
   * help text of {@code command} and of its subcommands: the top command's name (the usage line,
   * {@code qualifiedName} of every command), and each command's description, header, footer and
   * option and parameter descriptions. picocli reads '%' of a description, header or footer as a
   * format specifier (it formats them with {@link String#format}), and in the name and every text
   * it reads {@code $$} as one '$' and {@code ${...}} as a variable, in the value it fills in for
   * {@code IN_HELP} too: a launcher in {@code /tmp/a%n/} was printed over two lines, one in {@code
   * /tmp/a$${HOME}x/} as {@code /tmp/a${HOME}x/}. So each '$' of the name is doubled, and each '%'
   * too in the texts picocli formats; the texts' own variables, {@code ${DEFAULT-VALUE}} say, are
   * filled in as before. One case is left: picocli fills in an option's {@code ${DEFAULT-VALUE}},
   * {@code ${FALLBACK-VALUE}}, {@code ${MAP-FALLBACK-VALUE}} and {@code ${COMPLETION-CANDIDATES}}
   * wherever they are, escaped or not, so a path holding one of these words literally is shown with
   * it filled in, in the option descriptions that name the command.
   */
  private static void nameInHelp(CommandLine top, String name) {
    top.getCommandSpec().name(name.replace("$", "$$")); // the name is not formatted
    nameInCommandTexts(top, name.replace("%", "%%").replace("$", "$$"));
  }

  /**
   * {@link #nameInHelp}'s texts of {@code command} and its subcommands, the name {@code escaped}.
   */
  private static void nameInCommandTexts(CommandLine command, String escaped) {
    CommandLine.Model.CommandSpec spec = command.getCommandSpec();
    CommandLine.Model.UsageMessageSpec usage = spec.usageMessage();
    Boolean interpolate = spec.interpolateVariables();
    spec.interpolateVariables(false); // the texts as written, IN_HELP unfilled
    try {
      usage.description(withName(usage.description(), escaped));
      usage.header(withName(usage.header(), escaped));
      usage.footer(withName(usage.footer(), escaped));
    } finally {
      spec.interpolateVariables(interpolate);
    }
    // An option's description is fixed when it is built: such an option is built again (its
    // builder holds the text as written); the help lists options sorted, so where it is added does
    // not matter. The parameters are added again in their order.
    for (CommandLine.Model.OptionSpec o : new ArrayList<>(spec.options())) {
      CommandLine.Model.OptionSpec.Builder b = o.toBuilder();
      // An option of an argument group is left (taking it out would take it out of its group);
      // none names the command, and HelpCommandNameFormatTest would show one that did.
      if (o.group() == null && namesCommand(b.description())) {
        spec.remove(o);
        spec.addOption(b.description(withName(b.description(), escaped)).build());
      }
    }
    List<CommandLine.Model.PositionalParamSpec> parameters =
        new ArrayList<>(spec.positionalParameters());
    if (parameters.stream().anyMatch(p -> namesCommand(p.toBuilder().description()))) {
      parameters.forEach(spec::remove);
      for (CommandLine.Model.PositionalParamSpec p : parameters) {
        CommandLine.Model.PositionalParamSpec.Builder b = p.toBuilder();
        spec.addPositional(b.description(withName(b.description(), escaped)).build());
      }
    }
    for (CommandLine sub : command.getSubcommands().values()) {
      nameInCommandTexts(sub, escaped);
    }
  }

  private static boolean namesCommand(String[] lines) {
    return Arrays.stream(lines).anyMatch(line -> line.contains(Launcher.IN_HELP));
  }

  private static String[] withName(String[] lines, String escaped) {
    String[] out = lines.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = out[i].replace(Launcher.IN_HELP, escaped);
    }
    return out;
  }

  /** Exit code of bad input: a bad option or value, a missing or malformed file, a busy folder. */
  public static final int EXIT_BAD_INPUT = 2;

  /** Exit code of an internal failure (a bug, a full disk, a NaN the inputs do not explain). */
  public static final int EXIT_INTERNAL = 1;

  /**
   * The configured command line: a bad option or value prints one line on stderr and exits 2; an
   * invalid input found while running (a missing, malformed or corrupt file, including a model or a
   * checkpoint; a bad value in a config; a run folder another process holds; a path the file system
   * refuses to write to) also exits 2; any other failure exits 1 with its message. Set
   * FEDPEFT_DEBUG to also print the stack trace of an internal failure. A progress bar drawn in
   * place on stderr is erased before a failure is printed, so the message starts on a line of its
   * own.
   */
  public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    shareVersion(cl, cl.getCommandSpec().versionProvider());
    // eval shares DataOptions with train but trains nothing: it refuses --max-train, pointing at
    // --max-eval, so its --help does not offer it.
    hideFromHelp(cl.getSubcommands().get("eval"), "--max-train");
    nameInHelp(cl, Launcher.name());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          String cmd = ex.getCommandLine().getCommandSpec().qualifiedName();
          ex.getCommandLine()
              .getErr()
              .println(
                  cmd + ": " + ex.getMessage() + configHint(ex) + " (see '" + cmd + " --help')");
          return 2;
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          String cmd = commandLine.getCommandSpec().qualifiedName();
          boolean userError = isBadInput(ex);
          // The message starts on a line of its own, not after a bar drawn in place.
          ProgressBar.clearOpenLine(commandLine.getErr());
          commandLine.getErr().println(cmd + ": " + describe(ex));
          if (!userError && System.getenv("FEDPEFT_DEBUG") != null) {
            ex.printStackTrace(commandLine.getErr());
          }
          return userError ? EXIT_BAD_INPUT : EXIT_INTERNAL;
        });
    return cl;
  }

  /**
   * Options of some commands that are config keys for the commands that take a run's config ({@code
   * --set KEY=VALUE}).
   */
  private static final Map<String, String> CONFIG_KEYS = Map.of("--precision", "model.precision");

  /**
   * For an option this command does not have but takes as a config key ({@link #CONFIG_KEYS}), how
   * to give it; otherwise "".
   */
  static String configHint(CommandLine.ParameterException ex) {
    if (!(ex instanceof CommandLine.UnmatchedArgumentException unmatched)
        || ex.getCommandLine().getCommandSpec().findOption("--set") == null) {
      return "";
    }
    for (String arg : unmatched.getUnmatched()) {
      String key = CONFIG_KEYS.get(arg.split("=", 2)[0]);
      if (key != null) {
        return "; this command reads " + key + " from its config: --set " + key + "=VALUE";
      }
    }
    return "";
  }

  /**
   * True for failures caused by the user's input: bad values, missing or malformed files (data,
   * model, adapter, checkpoint), run folders that cannot be used, and paths the file system refuses
   * ({@link RunFolder#refuses}: permission, {@code EPERM} as in {@code /sys}, a read-only file
   * system, a missing folder or a file in the way). A full disk or an I/O error is not one.
   */
  static boolean isBadInput(Throwable ex) {
    return ex instanceof IllegalArgumentException
        || ex instanceof UserInputException
        || ex instanceof RunFolderException
        || ex instanceof DataFormatException
        || ex instanceof SafetensorsFormatException
        || ex instanceof PeftFormatException
        || ex instanceof ModelFormatException
        || ex instanceof FileSystemException fs && RunFolder.refuses(fs);
  }

  /**
   * {@code noun} as it follows a count of {@code n} ("1 example", "0 examples", "2 examples"), as
   * core's messages word it: {@link Words#plural}. Every count a command prints takes its noun from
   * here; the caller formats the number.
   */
  static String plural(long n, String noun) {
    return Words.plural(n, noun);
  }

  /**
   * One line for the user: the message, where a file-system error that carries only a path (such as
   * NoSuchFileException, found anywhere in the cause chain) gets the path followed by what is wrong
   * with it, unless the message already follows the path with {@code ": "} and its own words. A
   * message that reports a full disk ({@link #reportsFullDisk}, in any language) gets, once, a hint
   * that what was written before is intact and how to continue.
   */
  static String describe(Throwable ex) {
    String m = ex.getMessage();
    if (m == null || m.isBlank()) {
      m = ex.getClass().getSimpleName();
    }
    for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof FileSystemException fs
          && fs.getReason() == null
          && fs.getMessage() != null
          && m.contains(fs.getMessage())
          && !m.contains(fs.getMessage() + ": ")) { // else the message says what is wrong
        String what = Objects.requireNonNullElse(RunFolder.kindWords(fs), "cannot be used");
        m = m.replace(fs.getMessage(), fs.getMessage() + ": " + what);
        break;
      }
    }
    if (reportsFullDisk(m) && !m.contains(FULL_DISK_HINT)) {
      m += FULL_DISK_HINT;
    }
    return m.replace('\n', ' ');
  }

  /** What {@link #describe} adds to a message that reports a full disk. */
  private static final String FULL_DISK_HINT =
      " (a disk is full; what was written before is intact: free some space, then continue"
          + " a simulate, train or server run with its --resume)";

  /**
   * Whether {@code message} reports a full disk: it holds the words this process's JDK gives {@code
   * ENOSPC}, which are in the process's language ({@code LC_ALL}, {@code LC_MESSAGES}: "Auf dem
   * Gerät ist kein Speicherplatz mehr verfügbar" in German) and learned once ({@link
   * NoSpaceReason}), or the C locale's words for {@code ENOSPC} or a full quota ({@code EDQUOT},
   * which no probe can provoke, so it is told in the C locale only).
   */
  private static boolean reportsFullDisk(String message) {
    return NoSpaceReason.REASON != null && message.contains(NoSpaceReason.REASON)
        || message.contains("No space left on device")
        || message.contains("Disk quota exceeded");
  }

  /**
   * Learns the words for {@code ENOSPC} once, on the first failure described: a write to {@code
   * /dev/full}, which Linux fails with {@code ENOSPC} and which keeps nothing. Null where it cannot
   * be learned (no such device, a write that does not fail so).
   */
  private static final class NoSpaceReason {
    static final String REASON = probe();

    private static String probe() {
      try (OutputStream o = Files.newOutputStream(Path.of("/dev/full"), StandardOpenOption.WRITE)) {
        o.write(0);
        o.flush();
        return null;
      } catch (FileSystemException e) {
        return null; // opening it failed: no such device, or not writable here
      } catch (IOException | RuntimeException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? null : m;
      }
    }
  }
}
