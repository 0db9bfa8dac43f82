package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server started with {@code --listen 127.0.0.1:0} and interrupted (SIGTERM, as Ctrl-C) says to
 * resume it on the port it bound, the one its clients know, not on port 0 (which would take
 * another). Interrupted after a round is checkpointed and before the console hears of it (its
 * evaluation on the clients, its metrics line: the listener is told last), it counts that round as
 * saved, as {@code simulate} does: the checkpoint holds it, and --resume keeps it. QA journey 2, 5
 * December: the hint said "... --resume DIR and the same --certs and --listen ADDRESS", which does
 * not run when pasted; it now repeats the TLS options as given ({@code --certs DIR}).
 */
@Timeout(600)
class ServerEphemeralPortResumeHintCliTest {

  @TempDir Path tmp;

  @Test
  void theInterruptedServerSaysWhatIsSavedAndToResumeOnThePortItBound() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 2, 2);
    Path out = tmp.resolve("run");
    String point = "round-1-after-metrics";
    try (Spawned server =
            d.server(
                "server",
                Map.of(PausePoint.PROPERTY, point),
                List.of(
                    "server",
                    d.config.toString(),
                    "--out",
                    out.toString(),
                    "--listen",
                    Spawned.ANY_PORT,
                    "--certs",
                    d.certs.toString()));
        Spawned c0 = d.client("client-0", Map.of());
        Spawned c1 = d.client("client-1", Map.of())) {
      server.awaitLine(PausePoint.message(point));
      server.terminate();
      String printed = server.output();
      assertTrue(
          printed.contains(
              "interrupted: round 1 of 2 is saved in "
                  + out.resolve("checkpoint")
                  + "; continue with: fedpeft server --resume "
                  + out
                  + " --certs "
                  + d.certs
                  + " --listen "
                  + server.address()
                  + " (the clients reconnect by themselves)"),
          printed);
      assertTrue(!server.address().endsWith(":0"), server.address());
      // the clients would wait for the resumed server, reconnecting by themselves
      c0.kill();
      c1.kill();
    }
  }
}
