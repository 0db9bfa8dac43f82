package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateGeneratorTest {

  @TempDir Path dir;

  private static Set<String> names(Path dir) throws Exception {
    Set<String> out = new TreeSet<>();
    try (var s = Files.list(dir)) {
      s.forEach(p -> out.add(p.getFileName().toString()));
    }
    return out;
  }

  @Test
  void aNodeCertificateListsTheClientsItHosts() throws Exception {
    new CertificateGenerator(Duration.ofDays(1))
        .write(
            dir,
            List.of("localhost"),
            List.of("a"),
            java.util.Map.of("edge", List.of("client-0", "client-1")));
    X509Certificate edge = CertificateGenerator.readCertificate(dir.resolve("client-edge.crt"));
    X509Certificate a = CertificateGenerator.readCertificate(dir.resolve("client-a.crt"));
    edge.verify(CertificateGenerator.readCertificate(dir.resolve("ca.crt")).getPublicKey());
    assertEquals("edge", Certificates.commonName(edge));
    assertEquals(List.of("client-0", "client-1"), Certificates.hostedClients(edge));
    assertEquals(List.of(), Certificates.hostedClients(a));
    assertEquals(List.of("1.3.6.1.5.5.7.3.2"), edge.getExtendedKeyUsage()); // clientAuth
  }

  @Test
  void writesACaAServerAndOneCertificatePerClient() throws Exception {
    CertificateGenerator.Result r =
        new CertificateGenerator(Duration.ofDays(30))
            .write(dir, List.of("localhost", "127.0.0.1"), List.of("a", "b"));
    assertEquals(
        Set.of(
            "ca.crt",
            "ca.key",
            "server.crt",
            "server.key",
            "client-a.crt",
            "client-a.key",
            "client-b.crt",
            "client-b.key"),
        names(dir));
    assertEquals(8, r.written().size());
    X509Certificate ca = CertificateGenerator.readCertificate(dir.resolve("ca.crt"));
    X509Certificate server = CertificateGenerator.readCertificate(dir.resolve("server.crt"));
    X509Certificate a = CertificateGenerator.readCertificate(dir.resolve("client-a.crt"));
    ca.verify(ca.getPublicKey());
    server.verify(ca.getPublicKey());
    a.verify(ca.getPublicKey());
    assertTrue(ca.getBasicConstraints() >= 0, "the CA is a CA");
    assertEquals(-1, a.getBasicConstraints());
    assertEquals("a", Certificates.commonName(a));
    assertEquals("fedpeft server", Certificates.commonName(server));
    assertEquals(List.of("1.3.6.1.5.5.7.3.2"), a.getExtendedKeyUsage()); // clientAuth
    assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.getExtendedKeyUsage()); // serverAuth
    Set<String> sans = new TreeSet<>();
    server.getSubjectAlternativeNames().forEach(l -> sans.add(l.get(1).toString()));
    assertEquals(Set.of("localhost", "127.0.0.1"), sans);
    assertTrue(
        a.getNotAfter().getTime() - a.getNotBefore().getTime() >= Duration.ofDays(30).toMillis());
    // the key matches the certificate
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(CertificateGenerator.readPrivateKey(dir.resolve("client-a.key")));
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    s.initVerify(a.getPublicKey());
    s.update(new byte[] {1, 2, 3});
    assertTrue(s.verify(sig));
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
    }
  }

  @Test
  void aSecondCallReusesTheCaAndKeepsExistingFiles() throws Exception {
    CertificateGenerator g = new CertificateGenerator(Duration.ofDays(1));
    g.write(dir, List.of("localhost"), List.of("a"));
    byte[] aBefore = Files.readAllBytes(dir.resolve("client-a.crt"));
    CertificateGenerator.Result r = g.write(dir, List.of("localhost"), List.of("a", "c"));
    assertEquals(List.of(dir.resolve("client-c.crt"), dir.resolve("client-c.key")), r.written());
    assertEquals(aBefore.length, Files.readAllBytes(dir.resolve("client-a.crt")).length);
    X509Certificate ca = CertificateGenerator.readCertificate(dir.resolve("ca.crt"));
    CertificateGenerator.readCertificate(dir.resolve("client-c.crt")).verify(ca.getPublicKey());
  }

  @Test
  void badNamesAreRefusedBeforeAnythingIsWritten() throws Exception {
    CertificateGenerator g = new CertificateGenerator(Duration.ofDays(1));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> g.write(dir.resolve("x"), List.of("localhost"), List.of("a", "b c")));
    assertEquals("client name 'b c' is not 1-128 letters, digits, '.', '_' or '-'", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> g.write(dir.resolve("x"), List.of("local host"), List.of("a")));
    assertEquals(
        "server name 'local host' is neither an IP address nor a DNS name", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> g.write(dir.resolve("x"), List.of("localhost"), List.of("a", "a")));
    assertEquals("client names repeat: [a, a]", e.getMessage());
    assertTrue(Files.notExists(dir.resolve("x")));
  }

  @Test
  void aCertificateOfAnotherCaDoesNotVerify() throws Exception {
    CertificateGenerator g = new CertificateGenerator(Duration.ofDays(1));
    g.write(dir.resolve("one"), List.of("localhost"), List.of("a"));
    g.write(dir.resolve("two"), List.of("localhost"), List.of("a"));
    X509Certificate ca = CertificateGenerator.readCertificate(dir.resolve("one/ca.crt"));
    X509Certificate other = CertificateGenerator.readCertificate(dir.resolve("two/client-a.crt"));
    assertThrows(GeneralSecurityException.class, () -> other.verify(ca.getPublicKey()));
  }
}
