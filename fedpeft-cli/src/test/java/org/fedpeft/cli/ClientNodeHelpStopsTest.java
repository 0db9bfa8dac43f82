package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The --help of client and node says when they end: besides the server finishing the run and
 * Ctrl-C, a client that stops for good (exit 2), which a TLS mismatch with the server now is too.
 * It said they run "until the server finishes the run, or until stopped (Ctrl-C)".
 */
class ClientNodeHelpStopsTest {

  @Test
  void clientAndNodeHelpSayWhenTheyStopForGood() {
    for (String command : new String[] {"client", "node"}) {
      CliRun.Result r = CliRun.run(command, "--help");
      assertEquals(0, r.code(), command + ": " + r.err());
      String help = r.out().replaceAll("\\s+", " ");
      assertTrue(help.contains("until a client stops for good (exit 2"), command + ":\n" + help);
      assertTrue(help.contains("it and the server disagree on TLS"), command + ":\n" + help);
      assertTrue(help.contains("or until stopped (Ctrl-C)."), command + ":\n" + help);
    }
  }
}
