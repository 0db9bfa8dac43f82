package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA review, 3 December: {@code client} and {@code node} now create their {@code --state} folder
 * before the model loads (seconds to minutes), and a run that fails removes it again while empty;
 * but one stopped meanwhile (Ctrl-C, SIGTERM) left the empty folder and the parents created for it,
 * where before nothing had been created yet. A shutdown hook now removes them until the clients
 * start.
 */
@Timeout(600) // a hang guard: a child process that never prints what is awaited fails the test
class ClientStateInterruptedCliTest {

  @TempDir Path tmp;

  @Test
  void aClientStoppedBeforeTheModelLoadsLeavesNoStateFolder() throws Exception {
    Path config = CliRun.oneClientConfig(tmp);
    Path state = tmp.resolve("new").resolve("state");
    try (Spawned client =
        Spawned.fedpeft(
            "client",
            Map.of(PausePoint.PROPERTY, "client-starting"),
            List.of(
                "client",
                config.toString(),
                "--server",
                "127.0.0.1:1",
                "--id",
                "client-0",
                "--insecure",
                "--state",
                state.toString()))) {
      client.awaitLine(PausePoint.message("client-starting"));
      assertTrue(Files.isDirectory(state), "the folder is created at the start");
      client.terminate();
      assertFalse(
          Files.exists(tmp.resolve("new")),
          "left behind: " + tmp.resolve("new") + "; output:\n" + client.output());
    }
  }
}
