package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code node --as NAME} names a node certificate, whose common name the server takes only if it is
 * a node name: the node checks NAME by the same rule before it reads any file.
 */
class NodeAsNameCliTest {

  @TempDir Path tmp;

  @Test
  void anAsNameThatIsNoNodeNameIsRefusedNamingTheFlag() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 2);
    CliRun.Result r =
        CliRun.run(
            "node",
            d.config.toString(),
            "--server",
            d.address,
            "--clients",
            "2",
            "--as",
            "../edge",
            "--certs",
            d.certs.toString(),
            "--state",
            tmp.resolve("state").toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft node: --as '../edge' is not 1-128 letters, digits, '.', '_' or '-'",
        r.err().strip());
  }
}
