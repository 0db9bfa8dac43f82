package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 5 December: a client's wait between attempts to connect doubled up to 30 s and could not be
 * bounded, so after a server restart a client could sit idle for up to 30 s. {@code client} and
 * {@code node} take {@code --reconnect-max-seconds S}: the waits stop doubling at S, and a value
 * below 1 is refused naming the option, before anything is created.
 */
@Timeout(300)
class ReconnectOptionCliTest {

  @TempDir Path tmp;

  /**
   * Nothing listens on port 1 (a privileged port no test binds), so every attempt fails at once;
   * after 0.5 s, 1 s, 1 s, 1 s, ... the 4th repeat of the failure is counted on a line that names
   * the wait now between attempts: 1 s, where the default backoff would have grown to 8 s. The test
   * waits for that line, not for a time.
   */
  @Test
  void theWaitBetweenAttemptsStopsGrowingAtTheCap() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");
    try (Spawned client =
        Spawned.fedpeft(
            "client-0",
            Map.of(),
            List.of(
                "client",
                config.toString(),
                "--server",
                "127.0.0.1:1",
                "--id",
                "client-0",
                "--insecure",
                "--state",
                tmp.resolve("state").toString(),
                "--reconnect-max-seconds",
                "1"))) {
      String line = client.awaitLine("the same again, 4 more times");
      assertTrue(line.endsWith("still trying every 1 s"), client.output());
      client.terminate();
    }
  }

  @Test
  void aCapBelowOneSecondIsRefusedNamingTheOption() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");
    for (String command : List.of("client", "node")) {
      for (String value : List.of("0", "-3")) {
        Path state = tmp.resolve("state-" + command + value);
        CliRun.Result r =
            CliRun.run(
                command,
                config.toString(),
                "--server",
                "127.0.0.1:1",
                command.equals("client") ? "--id" : "--clients",
                command.equals("client") ? "client-0" : "1",
                "--insecure",
                "--state",
                state.toString(),
                "--reconnect-max-seconds",
                value);
        assertEquals(2, r.code(), r.err());
        assertTrue(
            r.err()
                .contains(
                    "--reconnect-max-seconds must be at least 1 (whole seconds, not below a"
                        + " client's first wait of 0.5 s), got "
                        + value),
            r.err());
        assertFalse(Files.exists(state), "refused before --state is created");
      }
    }
    CliRun.Result help = CliRun.run("node", "--help");
    String flat = help.out().replaceAll("\\s+", " ");
    assertTrue(flat.contains("--reconnect-max-seconds=S"), help.out());
    assertTrue(flat.contains("up to S (at least 1; default: 30)"), help.out());
  }
}
