package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@code client --state ''} and {@code node --state ''} were taken, so the clients'
 * local state went into the current folder; they are refused as an empty {@code --out} is, naming
 * {@code --state}. (Before, the client went on to dial the server, which is not running here: the
 * timeout only detects that.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class EmptyStateCliTest {

  @TempDir Path tmp;

  private static final String REFUSAL =
      "--state is empty: give a folder name (an empty one would write into the current folder)";

  @Test
  void clientRefusesAnEmptyState() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 2);
    CliRun.Result r =
        CliRun.run(
            "client",
            d.config.toString(),
            "--server",
            d.address,
            "--id",
            "client-0",
            "--certs",
            d.certs.toString(),
            "--state",
            "");
    assertEquals(2, r.code(), r.err());
    assertEquals("fedpeft client: " + REFUSAL, r.err().strip());
  }

  @Test
  void nodeRefusesAnEmptyState() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 2);
    CliRun.Result r =
        CliRun.run(
            "node",
            d.config.toString(),
            "--server",
            d.address,
            "--clients",
            "2",
            "--certs",
            d.certs.toString(),
            "--state",
            "");
    assertEquals(2, r.code(), r.err());
    assertEquals("fedpeft node: " + REFUSAL, r.err().strip());
  }
}
