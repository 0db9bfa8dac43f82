package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft server --listen 127.0.0.1:0} binds a free port the kernel picks and names it in
 * its "server: listening on" line, so that clients can be started on it (before, the line said
 * ":0", the port given, and a user could not tell where the server was); a port that is taken is
 * refused saying why.
 */
@Timeout(600)
class ServerEphemeralPortCliTest {

  @TempDir Path tmp;

  @Test
  void portZeroListensOnAFreePortThatTheLineNamesAndClientsReach() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 2);
    Path out = tmp.resolve("run");
    TwoClientDeployment.InProcessRun run = d.runInProcess(out, tmp.resolve("states"));
    String address = run.address();
    assertTrue(address.matches("127\\.0\\.0\\.1:\\d+"), address);
    int port = Integer.parseInt(address.substring(address.indexOf(':') + 1));
    assertNotEquals(0, port, "the line names the port bound, not the 0 given");
    assertEquals(0, run.server().code(), run.server().err());
    for (CliRun.Result r : run.clients()) {
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("the run completed 1 round"), r.out());
    }
    assertTrue(Files.exists(out.resolve("summary.json")), "the run completed");
  }

  @Test
  void aTakenPortIsRefusedSayingItIsInUse() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 2);
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + taken.getLocalPort();
      CliRun.Result r =
          CliRun.run(
              "server",
              d.config.toString(),
              "--out",
              tmp.resolve("run").toString(),
              "--listen",
              address,
              "--certs",
              d.certs.toString());
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains("cannot listen on " + address + ": "), r.err());
      assertTrue(r.err().contains("Address already in use"), r.err());
      assertTrue(Spawned.addressInUse(r.err()), r.err());
    }
  }

  @Test
  void theHelpSaysPortZeroTakesAFreePort() {
    CliRun.Result r = CliRun.run("server", "--help");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().replaceAll("\\s+", " ").contains("port 0 takes a free port, which the 'server:"),
        r.out());
  }
}
