package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@code train --out /sys/x} said "/sys/x: cannot create the output folder
 * (Operation not permitted); choose another --out", {@code certs --out /sys/x} only "/sys/x:
 * Operation not permitted", {@code tasks export} "--out /sys/x: cannot create a folder in /sys
 * (...)" and {@code client --state /sys/x} the same bare reason. Every command that writes into a
 * folder the user names words the refusal as train does ({@code RunFolder.cannotCreate}), naming
 * its option ({@code tasks export}: {@code TasksExportRefusedParentCliTest}). Where /sys does not
 * refuse a new folder with EPERM (not Linux), the tests are skipped.
 */
class RefusedFolderWordingCliTest {

  private static final Path TARGET = Path.of("/sys/fedpeft-qa-refused");

  @TempDir Path tmp;

  private static void assumeSysRefuses() {
    boolean eperm;
    try {
      Files.createDirectory(TARGET);
      Files.delete(TARGET);
      eperm = false;
    } catch (FileSystemException e) {
      eperm = "Operation not permitted".equals(e.getReason());
    } catch (IOException e) {
      eperm = false;
    }
    assumeTrue(eperm, "/sys does not refuse a new folder with EPERM here");
  }

  @Test
  void certs() {
    assumeSysRefuses();
    CliRun.Result r = CliRun.run("certs", "--out", TARGET.toString(), "--clients", "a");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: "
            + TARGET
            + ": cannot create the output folder (Operation not permitted); choose another --out",
        r.err().strip());
  }

  @Test
  void clientState() throws Exception {
    assumeSysRefuses();
    Path config = CliRun.oneClientConfig(tmp);
    CliRun.Result r =
        CliRun.run(
            "client",
            config.toString(),
            "--server",
            "127.0.0.1:1",
            "--id",
            "client-0",
            "--insecure",
            "--state",
            TARGET.toString());
    assertEquals(2, r.code(), r.err());
    String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
    assertEquals(
        "fedpeft client: "
            + TARGET
            + ": cannot create the output folder (Operation not permitted); choose another"
            + " --state",
        last,
        r.err());
  }
}
