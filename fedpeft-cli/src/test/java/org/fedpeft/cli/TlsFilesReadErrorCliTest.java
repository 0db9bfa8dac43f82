package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS files {@code fedpeft client} and {@code fedpeft server} read before anything connects: a
 * file that is no certificate is bad input (exit 2) naming the file; an I/O error while reading one
 * is the machine's (exit 1), still naming the file, as for the client's saved state ({@link
 * ClientStateReadErrorCliTest}). QA, 4 December: every failed read of a TLS file was bad input, so
 * a failing disk read as the user's mistake, and the message named no file. Nothing listens at the
 * --server address: the checks come first.
 */
@Timeout(300) // only to detect a client that connects and retries instead of stopping
class TlsFilesReadErrorCliTest {

  @TempDir Path tmp;

  private Path certs;

  @BeforeEach
  void writeCertificates() {
    certs = tmp.resolve("certs");
    CliRun.Result r = CliRun.run("certs", "--out", certs.toString(), "--clients", "client-0");
    assertEquals(0, r.code(), r.err());
  }

  private CliRun.Result client() {
    return CliRun.run(
        "client",
        "--set",
        "clients=2",
        "--set",
        "clients_per_round=2",
        "--server",
        "127.0.0.1:1",
        "--id",
        "client-0",
        "--certs",
        certs.toString(),
        "--state",
        tmp.resolve("state").toString());
  }

  @Test
  void aCertificateThatIsNoneIsBadInputNamingTheFile() throws Exception {
    Path ca = certs.resolve("ca.crt");
    Files.writeString(ca, "not a certificate\n");
    CliRun.Result r = client();
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("fedpeft client: " + ca + " "), r.err());
    assertEquals("", r.out());
  }

  /**
   * A sysfs attribute that answers every read with EIO stands for a failing disk; skipped where
   * this machine has none.
   */
  @Test
  void anIoErrorWhileReadingIsTheMachinesNamingTheFile() throws Exception {
    Path eio = FailingDisk.eioFileOrSkip();
    Path ca = certs.resolve("ca.crt");
    Files.delete(ca);
    Files.createSymbolicLink(ca, eio);
    CliRun.Result r = client();
    assertEquals(1, r.code(), r.err());
    assertTrue(
        r.err().startsWith("fedpeft client: cannot read the TLS file " + ca + ": "), r.err());
    assertEquals("", r.out());
    assertTrue(Files.notExists(tmp.resolve("state")), "nothing created before the check");
  }
}
