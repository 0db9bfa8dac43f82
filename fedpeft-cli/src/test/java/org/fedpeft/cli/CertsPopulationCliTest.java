package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@code certs --population 50000000} (a typo) ran for hours with no output, and
 * would have run out of memory, since a call holds every new pair until it writes them all. A
 * population above {@link CertsCommand#MAX_IDS} is refused naming the option; a call of {@link
 * CertsCommand#PROGRESS_FROM} or more certificates shows progress on stderr.
 */
class CertsPopulationCliTest {

  @TempDir Path tmp;

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD) // a hang
  void aHugePopulationIsRefusedNamingTheOption() {
    Path dir = tmp.resolve("certs");
    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--population", "50000000");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: --population 50000000: at most 100000 (a call signs every new pair and"
            + " holds it in memory before it writes any, so that a refused call writes nothing)",
        r.err().strip());
    assertFalse(Files.exists(dir));
  }

  @Test
  void manyCertificatesShowProgressOnStderr() {
    Path dir = tmp.resolve("certs");
    int population = CertsCommand.PROGRESS_FROM - 1; // with the server's: PROGRESS_FROM
    CliRun.Result r =
        CliRun.run("certs", "--out", dir.toString(), "--population", String.valueOf(population));
    assertEquals(0, r.code(), r.err());
    int certificates = population + 1;
    int files = 2 + 2 * certificates; // and the CA's
    String full = "[========================] ";
    assertTrue(
        r.err().contains("certs: signing " + full + certificates + "/" + certificates), r.err());
    assertTrue(r.err().contains("certs: writing " + full + files + "/" + files), r.err());
  }

  @Test
  void aFewCertificatesShowNoProgress() {
    CliRun.Result r =
        CliRun.run("certs", "--out", tmp.resolve("certs").toString(), "--clients", "a,b");
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
  }
}
