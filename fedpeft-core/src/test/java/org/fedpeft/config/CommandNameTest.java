package org.fedpeft.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.fedpeft.io.CommandName;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * QA journey 2, 5 December: the messages of fedpeft-core that say what to run next ("every key:
 * fedpeft simulate --list-keys", "a registered task (fedpeft tasks lists them)", "fedpeft privacy
 * noise picks one") named a bare {@code fedpeft} while the command line's own hints named the
 * command as the user ran it ({@code ./fedpeft}): pasted, they were "command not found". They now
 * take the name from {@link CommandName}, which the command line uses too.
 */
class CommandNameTest {

  private SystemProperties.Restore name;

  @BeforeEach
  void setName() {
    name = SystemProperties.set(CommandName.PROPERTY, "./fedpeft");
  }

  @AfterEach
  void restoreName() {
    name.close();
  }

  @Test
  void theNameIsThePropertyOrFedpeft() {
    assertEquals("./fedpeft tasks list", CommandName.command("tasks list"));
    assertEquals("see ./fedpeft tasks list", CommandName.named("see {fedpeft} tasks list"));
    System.setProperty(CommandName.PROPERTY, " ");
    assertEquals("fedpeft", CommandName.name());
    System.clearProperty(CommandName.PROPERTY);
    assertEquals("fedpeft certs", CommandName.command("certs"));
    assertEquals("no name here", CommandName.named("no name here"));
  }

  @Test
  void configMessagesNameTheCommandAsTheUserRanIt() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(Map.of("colour", "red"), Map.of(), "run.toml"));
    assertEquals(
        "run.toml: unknown key \"colour\" (every key: ./fedpeft simulate --list-keys, or"
            + " docs/config.md)",
        e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of(),
                    Map.of(
                        "privacy.mode",
                        "sample",
                        "privacy.sample.noise_multiplier",
                        "0",
                        "privacy.epsilon",
                        "8"),
                    "run.toml"));
    assertTrue(e.getMessage().contains("(./fedpeft privacy noise picks one)"), e.getMessage());
    // the tables of docs/config.md, which simulate --list-keys prints (data.task's and
    // eval.retention_task's rules; a value they refuse gets the check's own reason, listing the
    // tasks)
    String table = SimulationConfig.markdown();
    assertTrue(table.contains("(see ./fedpeft tasks list)"), table);
    assertTrue(table.contains("(./fedpeft tasks list)"), table);
    assertTrue(!table.contains("{fedpeft}"), table);
  }
}
