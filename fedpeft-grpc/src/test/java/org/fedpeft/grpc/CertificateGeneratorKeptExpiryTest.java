package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: a certificate the folder holds that has expired was kept and reported as kept
 * when {@code certs} ran again (to add a client, say), though no server or client accepts it; an
 * expired CA was already refused so. It is now refused, naming it and how to issue a new pair, and
 * the call writes nothing.
 */
class CertificateGeneratorKeptExpiryTest {

  @TempDir Path dir;

  @Test
  void anExpiredKeptCertificateIsRefusedNamingIt() throws Exception {
    new CertificateGenerator(Duration.ofDays(1)).write(dir, List.of("localhost"), List.of("a"));
    Path cert = dir.resolve("client-a.crt");
    X509Certificate ca = CertificateGenerator.readCertificate(dir.resolve("ca.crt"));
    X509Certificate a = CertificateGenerator.readCertificate(cert);
    // client-a's certificate again, signed by the folder's CA, but valid only in 2020
    Instant end = Instant.parse("2020-01-02T00:00:00Z");
    X509Certificate expired =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                        BigInteger.TEN,
                        Date.from(Instant.parse("2020-01-01T00:00:00Z")),
                        Date.from(end),
                        X500Name.getInstance(a.getSubjectX500Principal().getEncoded()),
                        a.getPublicKey())
                    .build(
                        new JcaContentSignerBuilder("SHA256withECDSA")
                            .build(CertificateGenerator.readPrivateKey(dir.resolve("ca.key")))));
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
      w.writeObject(expired);
    }
    Files.writeString(cert, pem.toString());

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new CertificateGenerator(Duration.ofDays(1))
                    .write(dir, List.of("localhost"), List.of("a", "b")));
    assertEquals(
        cert
            + " expired on "
            + end
            + ": a certificate that exists is kept as it is; remove "
            + cert
            + " and "
            + dir.resolve("client-a.key")
            + " to issue a new pair (and give it to its owner again)",
        e.getMessage());
    assertEquals(false, Files.exists(dir.resolve("client-b.crt")));
  }
}
