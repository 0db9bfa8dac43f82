package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: a certificate signed by a folder's CA could be valid for longer than that CA
 * (--days was not capped at its expiry), though it is useless once the CA has expired. The new
 * certificates now end with the CA, and {@link CertificateGenerator.Result#cappedAt} says so.
 */
class CertificateGeneratorCaEndTest {

  @TempDir Path dir;

  /** Writes a CA into {@code dir} valid from an hour ago until {@code end}. */
  static void writeCa(Path dir, Instant end) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    X500Name name = new X500Name("O=fedpeft,CN=test CA");
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.TEN,
            Date.from(Instant.now().minus(Duration.ofHours(1))),
            Date.from(end),
            name,
            pair.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    X509Certificate ca =
        new JcaX509CertificateConverter()
            .getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(CertificateGenerator.CA_CERT), pem(ca));
    Files.writeString(
        dir.resolve(CertificateGenerator.CA_KEY),
        pem(new JcaPKCS8Generator(pair.getPrivate(), null).generate()));
  }

  private static String pem(Object o) throws Exception {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(text)) {
      w.writeObject(o);
    }
    return text.toString();
  }

  @Test
  void newCertificatesEndWithTheirCa() throws Exception {
    Instant caEnd = Instant.now().plus(Duration.ofDays(10)).truncatedTo(ChronoUnit.SECONDS);
    writeCa(dir, caEnd);

    CertificateGenerator.Result r =
        new CertificateGenerator(Duration.ofDays(365))
            .write(dir, List.of("localhost"), List.of("a"));

    assertEquals(caEnd, r.cappedAt());
    for (String f : List.of("server.crt", "client-a.crt")) {
      assertEquals(
          caEnd, CertificateGenerator.readCertificate(dir.resolve(f)).getNotAfter().toInstant(), f);
    }
  }

  @Test
  void aValidityWithinTheCasIsKept() throws Exception {
    writeCa(dir, Instant.now().plus(Duration.ofDays(30)));

    CertificateGenerator.Result r =
        new CertificateGenerator(Duration.ofDays(2)).write(dir, List.of("localhost"), List.of("a"));

    assertNull(r.cappedAt());
    Instant end =
        CertificateGenerator.readCertificate(dir.resolve("client-a.crt")).getNotAfter().toInstant();
    assertEquals(true, end.isBefore(Instant.now().plus(Duration.ofDays(3))), end.toString());
  }
}
