package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import org.fedpeft.grpc.CertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@code certs --days} could give a new certificate a validity beyond the folder's
 * CA, after which it is useless. The new certificates now end with the CA, and one warning on
 * stderr names the date.
 */
class CertsCaEndCliTest {

  @TempDir Path tmp;

  @Test
  void newCertificatesEndWithTheCaAndAWarningNamesTheDate() throws Exception {
    Path dir = tmp.resolve("certs");
    assertEquals(
        0, CliRun.run("certs", "--out", dir.toString(), "--clients", "a", "--days", "10").code());
    Instant caEnd =
        CertificateGenerator.readCertificate(dir.resolve("ca.crt")).getNotAfter().toInstant();

    CliRun.Result r =
        CliRun.run("certs", "--out", dir.toString(), "--clients", "a,b", "--days", "365");

    assertEquals(0, r.code(), r.err());
    assertEquals(
        "warning: the new certificates are valid until "
            + caEnd
            + ", when "
            + dir.resolve("ca.crt")
            + " expires, not for --days 365: a certificate is useless once its CA has expired"
            + System.lineSeparator(),
        r.err());
    assertEquals(
        caEnd,
        CertificateGenerator.readCertificate(dir.resolve("client-b.crt"))
            .getNotAfter()
            .toInstant());
    assertTrue(r.out().contains("wrote " + dir.resolve("client-b.crt")), r.out());
  }
}
