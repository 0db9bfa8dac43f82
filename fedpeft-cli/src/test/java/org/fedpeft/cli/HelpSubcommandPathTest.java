package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * QA, 3 December: {@code fedpeft help tasks export} showed the help of {@code tasks}, not of {@code
 * tasks export}: picocli's help command read only the first name.
 */
class HelpSubcommandPathTest {

  @Test
  void helpFollowsThePathOfSubcommands() {
    CliRun.Result help = CliRun.run("help", "tasks", "export");
    CliRun.Result own = CliRun.run("tasks", "export", "--help");
    assertEquals(0, help.code(), help.err());
    assertEquals(own.out(), help.out());
  }

  @Test
  void helpOfOneCommandAndOfNoneAreAsBefore() {
    assertEquals(CliRun.run("tasks", "--help").out(), CliRun.run("help", "tasks").out());
    assertEquals(CliRun.run("--help").out(), CliRun.run("help").out());
  }

  @Test
  void anUnknownSubcommandIsNamedWithItsCommand() {
    CliRun.Result r = CliRun.run("help", "tasks", "nosuch");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft tasks: Unknown subcommand 'nosuch'. (see 'fedpeft tasks --help')",
        r.err().strip());
  }
}
