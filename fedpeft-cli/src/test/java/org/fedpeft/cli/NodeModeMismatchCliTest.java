package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft node} against a {@code fedpeft server} process of the other transport mode (one
 * with TLS, the other with {@code --insecure}), as a user runs them on 127.0.0.1: the node exits 2
 * after its first attempt, its last line naming the mismatch and the flags to change. Before this,
 * such a node tried again forever; the timeout only catches that hang.
 */
@Timeout(120)
class NodeModeMismatchCliTest {

  @TempDir Path tmp;

  private CliRun.Result node(TwoClientDeployment d, String... network) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "node",
                d.config.toString(),
                "--server",
                d.address,
                "--clients",
                "1",
                "--state",
                tmp.resolve("state").toString()));
    args.addAll(List.of(network));
    return CliRun.run(args.toArray(String[]::new));
  }

  private static String lastLine(String text) {
    List<String> lines = text.lines().toList();
    return lines.get(lines.size() - 1);
  }

  @Test
  void aPlaintextNodeFacingATlsServerExitsNamingTheFlags() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 2);
    try (Spawned server = d.server(tmp.resolve("out"))) {
      CliRun.Result r = node(d, "--insecure");
      assertEquals(2, r.code(), r.err());
      assertEquals(
          "fedpeft node: the server at "
              + server.address()
              + " speaks TLS only, but this node runs with --insecure (plaintext): use TLS files on"
              + " both sides (this node's --certs DIR, or --ca, --cert and --key, instead of"
              + " --insecure), or --insecure on both",
          lastLine(r.err()),
          r.err());
      assertEquals(1, r.err().split("network: connect_failed", -1).length - 1, r.err());
    }
  }

  @Test
  void aTlsNodeFacingAPlaintextServerExitsNamingTheFlags() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 2);
    try (Spawned server =
        d.server(
            "server",
            List.of(
                "server",
                d.config.toString(),
                "--out",
                tmp.resolve("out").toString(),
                "--listen",
                Spawned.ANY_PORT,
                "--insecure"))) {
      CliRun.Result r = node(d, "--certs", d.certs.toString());
      assertEquals(2, r.code(), r.err());
      assertEquals(
          "fedpeft node: the server at "
              + server.address()
              + " does not speak TLS (it runs with --insecure), but this node does: use --insecure"
              + " on both sides, or TLS files on both (the server's --certs DIR, and this node's"
              + " --certs DIR or --ca, --cert and --key)",
          lastLine(r.err()),
          r.err());
      assertEquals(1, r.err().split("network: connect_failed", -1).length - 1, r.err());
    }
  }

  @Test
  void theInsecureHelpSaysServerAndNodesMustAgree() {
    for (String command : List.of("node", "client", "server")) {
      CliRun.Result r = CliRun.run(command, "--help");
      assertEquals(0, r.code(), r.err());
      String help = r.out().replaceAll("\\s+", " ");
      assertTrue(
          help.contains(
              "The server and its nodes must agree: a node facing a server of the other mode"
                  + " stops after its first attempt."),
          help);
    }
  }
}
