package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Docs audit, 5 December: the command lines that README.md and docs/*.md print in code blocks are
 * ones the command line accepts: each parses (its command, option names and option values, as
 * picocli reads them before running anything), each {@code --set} names a config key, each example
 * config it names exists, and a {@code simulate}, {@code server}, {@code client} or {@code node}
 * line on an example config loads with its {@code --set}s (values in range, no option the others
 * make inert). Placeholders in capitals (CONFIG, HOST:PORT, DIR) parse as the strings they stand
 * for; optional parts in brackets ({@code [--seed 42]}) are left out.
 */
class DocsCommandLinesTest {

  private static final Path ROOT = Path.of("..");

  @Test
  void everyPrintedCommandLineParses() throws IOException {
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (Path doc : docs()) {
      for (String line : commandLines(Files.readString(doc))) {
        checked++;
        String problem = problem(line);
        if (problem != null) {
          failures.add(ROOT.relativize(doc) + ": " + line + "\n    " + problem);
        }
      }
    }
    assertTrue(checked >= 40, checked + " command lines found");
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  /** README.md and docs/*.md, not docs/history. */
  private static List<Path> docs() throws IOException {
    List<Path> out = new ArrayList<>();
    out.add(ROOT.resolve("README.md"));
    try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
    }
    return out;
  }

  /**
   * The {@code ./fedpeft} command lines of a page's code blocks (fenced, or indented by four
   * spaces), continuation lines joined, from {@code ./fedpeft} to the first {@code |}, {@code &},
   * {@code ;} or {@code #} outside quotes.
   */
  static List<String> commandLines(String markdown) {
    List<String> out = new ArrayList<>();
    boolean fenced = false;
    StringBuilder pending = null;
    for (String line : markdown.split("\n", -1)) {
      if (line.startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      boolean code = fenced || line.startsWith("    ");
      if (pending != null) {
        pending.append(' ').append(line.strip());
      } else if (code && line.contains("./fedpeft ")) {
        pending = new StringBuilder(line.substring(line.indexOf("./fedpeft ")));
      } else {
        continue;
      }
      if (pending.toString().endsWith("\\")) {
        pending.setLength(pending.length() - 1);
        continue;
      }
      out.add(cut(pending.toString()).strip());
      pending = null;
    }
    return out;
  }

  /** The command up to a shell operator or comment outside quotes. */
  private static String cut(String s) {
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '|' || c == '&' || c == ';' || c == '#') {
        return s.substring(0, i);
      }
    }
    return s;
  }

  /** What is wrong with a command line, or null. */
  private static String problem(String line) {
    List<String> args = words(line.replaceAll("\\[[^\\]]*\\]", " "));
    args.remove(0); // ./fedpeft
    CommandLine cl =
        Main.newCommandLine(
            new PrintWriter(Writer.nullWriter()), new PrintWriter(Writer.nullWriter()));
    try {
      cl.parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      return e.getMessage();
    }
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--set") && i + 1 < args.size()) {
        String key = args.get(i + 1).split("=", 2)[0];
        if (!key.startsWith("adapter.") && !SimulationConfig.SCHEMA.keys().containsKey(key)) {
          return "--set " + key + ": no such config key";
        }
      }
      if (a.startsWith("examples/") && !Files.isRegularFile(ROOT.resolve(a))) {
        return a + ": no such file";
      }
    }
    return configProblem(args);
  }

  /** The commands that read a simulation config: {@code CONFIG} is their first parameter. */
  private static final List<String> CONFIG_COMMANDS =
      List.of("simulate", "server", "client", "node");

  /**
   * Docs journey, 5 December: an example config with the line's {@code --set}s must load (every
   * value in range, no option the others make inert), not only name known keys; what is wrong with
   * it, or null. Lines whose config is not one of examples/ are left to the parse.
   */
  private static String configProblem(List<String> args) {
    if (args.size() < 2
        || !CONFIG_COMMANDS.contains(args.get(0))
        || !args.get(1).startsWith("examples/")) {
      return null;
    }
    Map<String, String> sets = new LinkedHashMap<>();
    for (int i = 2; i + 1 < args.size(); i++) {
      if (args.get(i).equals("--set")) {
        String[] kv = args.get(i + 1).split("=", 2);
        sets.put(kv[0], kv.length > 1 ? kv[1] : "");
      }
    }
    try {
      SimulationConfig.load(ROOT.resolve(args.get(1)), sets);
      return null;
    } catch (IOException | RuntimeException e) {
      return "the config with its --sets does not load: " + e.getMessage();
    }
  }

  /** Shell words: split at blanks outside quotes, quotes removed. */
  private static List<String> words(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder w = null;
    char quote = 0;
    for (char c : s.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          w.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        w = w == null ? new StringBuilder() : w;
      } else if (Character.isWhitespace(c)) {
        if (w != null) {
          out.add(w.toString());
          w = null;
        }
      } else {
        w = w == null ? new StringBuilder() : w;
        w.append(c);
      }
    }
    if (w != null) {
      out.add(w.toString());
    }
    return out;
  }
}
