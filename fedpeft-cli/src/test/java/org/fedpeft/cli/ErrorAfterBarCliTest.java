package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * QA, 3 December: on a terminal, a failure in the middle of {@code train} or {@code simulate}
 * printed its message right after the bar drawn in place, on the bar's line ({@code ...51/101 ETA
 * 0:00fedpeft train: ...}); only {@code certs} erased its bar first. {@link Main}'s error handler
 * now erases any bar drawn in place on stderr before it prints, for every command: here a command
 * that draws a bar in place (as on a terminal) and then fails.
 */
class ErrorAfterBarCliTest {

  /** Draws a bar in place, halfway, then fails. */
  @Command(name = "failing")
  static final class Failing implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "rounds", 101, false, true);
      bar.update(51, "");
      throw new IllegalStateException("the round failed");
    }
  }

  @Test
  void aFailureWhileABarIsDrawnInPlaceStartsOnALineOfItsOwn() {
    StringWriter err = new StringWriter();
    CommandLine cl =
        Main.newCommandLine(
            new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true));
    cl.addSubcommand("failing", new Failing());
    cl.getSubcommands().get("failing").setErr(new PrintWriter(err, true));

    int code = cl.execute("failing");

    assertEquals(Main.EXIT_INTERNAL, code, err.toString());
    String text = err.toString();
    int at = text.indexOf("fedpeft failing: ");
    assertTrue(text.startsWith("\rrounds ["), text);
    assertTrue(at > 0, text);
    assertTrue(
        text.substring(0, at).endsWith("\r\u001b[K"),
        () -> "the message follows the bar on its line: " + text.replace("\u001b", "ESC"));
  }
}
