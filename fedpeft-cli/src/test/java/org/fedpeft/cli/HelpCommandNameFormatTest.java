package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * QA, 5 December: the command name (fedpeft.command, the launcher's path as the user ran it) goes
 * into texts picocli formats with {@link String#format} after it fills the name in: a command's
 * description, header and footer. A launcher in a folder holding '%' ({@code /tmp/a%b/fedpeft})
 * made picocli warn "Could not format" on stderr and print those texts unformatted ({@code %n} left
 * as is); {@code %n} in the path split the name over two lines, {@code %%} printed one '%'. Every
 * command's --help now reads as it does with a name without '%' (or '$'), the name in its place
 * (compared without white space, as a '%' may wrap a line elsewhere). Fails on the old code (with
 * {@code %n} and {@code %%}; the warning of {@code %b} goes to the JVM's stderr, which the test
 * does not read).
 *
 * <p>QA, 5 December: picocli also reads {@code $$} (one '$') and {@code ${...}} (a variable) in the
 * usage line and option descriptions, into which it put the name: a launcher in {@code
 * /tmp/a$${HOME}x/} was shown in {@code /tmp/a${HOME}x/}, one in {@code /tmp/p${sys:user.home}/} in
 * {@code /tmp/pnull/}, and an unclosed <code>${</code> cut the line. These names are printed as
 * they are too. Fails on the old code.
 */
class HelpCommandNameFormatTest {

  /** Every command of the command line, nested ones (tasks list) included, by qualified name. */
  private static void collect(CommandLine c, Map<String, CommandLine> into) {
    into.put(c.getCommandSpec().qualifiedName(" "), c);
    for (CommandLine sub : c.getSubcommands().values()) {
      collect(sub, into);
    }
  }

  /** Each command's --help (no colours) with fedpeft.command = {@code name}. */
  private static Map<String, String> helpTexts(String name) {
    return SystemProperties.with(
        Launcher.PROPERTY,
        name,
        () -> {
          CommandLine cl =
              Main.newCommandLine(
                  new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
          Map<String, CommandLine> commands = new java.util.TreeMap<>();
          collect(cl, commands);
          Map<String, String> help = new java.util.TreeMap<>();
          commands.forEach(
              (qualified, c) ->
                  help.put(
                      qualified.replace(name, "NAME"),
                      c.getUsageMessage(CommandLine.Help.Ansi.OFF)));
          return help;
        });
  }

  private static String words(String text) {
    return text.replaceAll("\\s+", "");
  }

  @Test
  void aPercentInTheLaunchersPathIsPrintedAsItIs() {
    for (String name :
        List.of(
            "/tmp/a%b/fedpeft",
            "/tmp/a%n/fedpeft",
            "/tmp/a%%b/fedpeft",
            "/tmp/100%/fedpeft",
            "/tmp/a\\$b/fedpeft",
            "/tmp/a$${HOME}x/fedpeft",
            "/tmp/p${sys:user.home}/fedpeft",
            "/tmp/a${x/fedpeft",
            "/tmp/a$$b/fedpeft",
            "/tmp/%n$${USER}%%${x}/fedpeft")) {
      String plain = name.replace('%', 'X').replace('$', 'Y');
      Map<String, String> expected = helpTexts(plain);
      Map<String, String> actual = helpTexts(name);
      assertEquals(expected.keySet(), actual.keySet());
      List<String> named = new ArrayList<>();
      for (String command : expected.keySet()) {
        // without white space: a name with '%' may wrap elsewhere than one with 'X'
        String want = words(expected.get(command)).replace(plain, name);
        assertEquals(want, words(actual.get(command)), name + ": " + command + " --help");
        if (want.contains(name + "certs")) {
          named.add(command);
        }
      }
      // the commands whose description (not only an option) names certs: server, node
      assertTrue(named.contains("NAME server") && named.contains("NAME node"), named.toString());
    }
  }
}
