package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

  @Test
  void aKeptCertificateMustBeAskedForWithTheNamesItHas() throws Exception {
    CertificateGenerator g = new CertificateGenerator(Duration.ofDays(1));
    g.write(
        dir,
        List.of("fl.example.org", "10.1.2.3", "::1"),
        List.of(),
        java.util.Map.of("edge", List.of("c-1", "c-2")));
    assertEquals(
        List.of("fl.example.org", "10.1.2.3", "0:0:0:0:0:0:0:1"),
        Certificates.alternativeNames(
            CertificateGenerator.readCertificate(dir.resolve("server.crt"))));
    // the same names in another order (and another spelling of the address) are the same
    CertificateGenerator.Result same =
        g.write(
            dir,
            List.of("0::1", "10.1.2.3", "fl.example.org"),
            List.of(),
            java.util.Map.of("edge", List.of("c-2", "c-1")));
    assertEquals(List.of(), same.written());
    // QA, 2 December: other --hosts for an existing node certificate were dropped without a word
    IllegalArgumentException hosts =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                g.write(
                    dir,
                    List.of("fl.example.org", "10.1.2.3", "::1"),
                    List.of(),
                    java.util.Map.of("edge", List.of("c-1", "c-2", "c-3"))));
    assertEquals(
        dir.resolve("client-edge.crt")
            + " exists and names [client:c-1, client:c-2], not [client:c-1, client:c-2,"
            + " client:c-3]: a certificate that exists is kept as it is; remove "
            + dir.resolve("client-edge.crt")
            + " and "
            + dir.resolve("client-edge.key")
            + " to issue a new pair (and give it to its owner again)",
        hosts.getMessage());
    IllegalArgumentException server =
        assertThrows(
            IllegalArgumentException.class,
            () -> g.write(dir, List.of("localhost"), List.of("a"), java.util.Map.of()));
    assertTrue(
        server
            .getMessage()
            .startsWith(
                dir.resolve("server.crt")
                    + " exists and names [fl.example.org, 10.1.2.3, 0:0:0:0:0:0:0:1], not"
                    + " [localhost]"),
        server.getMessage());
  }

  @Test
  void usableFilesAreAKeyOfTheCertificateAndOneCa() throws Exception {
    CertificateGenerator g = new CertificateGenerator(Duration.ofDays(1));
    Path one = dir.resolve("one");
    Path two = dir.resolve("two");
    g.write(one, List.of("localhost"), List.of("a", "b"));
    g.write(two, List.of("localhost"), List.of("a"));
    TlsFiles.client(one, "a").requireUsable(true);
    TlsFiles.server(one).requireUsable(true);

    TlsFiles wrongKey =
        new TlsFiles(
            one.resolve("ca.crt"), one.resolve("client-a.crt"), one.resolve("client-b.key"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> wrongKey.requireUsable(false));
    assertTrue(
        e.getMessage()
            .startsWith(
                one.resolve("client-b.key")
                    + " is not the private key of "
                    + one.resolve("client-a.crt")),
        e.getMessage());

    TlsFiles otherCa =
        new TlsFiles(
            one.resolve("ca.crt"), two.resolve("client-a.crt"), two.resolve("client-a.key"));
    otherCa.requireUsable(false); // files of another PKI may have another issuer
    e = assertThrows(IllegalArgumentException.class, () -> otherCa.requireUsable(true));
    assertTrue(
        e.getMessage().contains("was not signed by the CA of " + one.resolve("ca.crt")),
        e.getMessage());
    // QA, 3 December: every CA was "CN=fedpeft CA", so the message named the same issuer twice;
    // each CA's name now carries the start of its key's SHA-256.
    java.util.regex.Matcher names =
        java.util.regex.Pattern.compile("CN=fedpeft CA ([0-9a-f]{8})").matcher(e.getMessage());
    assertTrue(names.find(), e.getMessage());
    String issuer = names.group(1);
    assertTrue(names.find(), e.getMessage());
    assertNotEquals(issuer, names.group(1), e.getMessage());

    Path garbage = Files.writeString(dir.resolve("garbage.crt"), "-----BEGIN CERTIFICATE-----\n!!");
    TlsFiles bad = new TlsFiles(one.resolve("ca.crt"), garbage, one.resolve("client-a.key"));
    e = assertThrows(IllegalArgumentException.class, () -> bad.requireUsable(false));
    assertTrue(e.getMessage().startsWith(garbage + " is not readable PEM"), e.getMessage());
    Path text = Files.writeString(dir.resolve("text.key"), "not a key\n");
    TlsFiles notKey = new TlsFiles(one.resolve("ca.crt"), one.resolve("client-a.crt"), text);
    e = assertThrows(IllegalArgumentException.class, () -> notKey.requireUsable(false));
    assertEquals(
        text + " does not hold an unencrypted PKCS#8 private key (BEGIN PRIVATE KEY)",
        e.getMessage());
  }

  @Test
  void aCertificateOutsideItsValidityIsNamed() throws Exception {
    new CertificateGenerator(Duration.ofDays(2)).write(dir, List.of("localhost"), List.of("a"));
    Path file = dir.resolve("client-a.crt");
    X509Certificate a = CertificateGenerator.readCertificate(file);
    TlsFiles.requireValidAt(a, file, new java.util.Date());
    java.util.Date later = new java.util.Date(a.getNotAfter().getTime() + 1000);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TlsFiles.requireValidAt(a, file, later));
    assertEquals(
        file + " expired on " + a.getNotAfter().toInstant() + "; issue a new one", e.getMessage());
    java.util.Date earlier = new java.util.Date(a.getNotBefore().getTime() - 1000);
    e =
        assertThrows(
            IllegalArgumentException.class, () -> TlsFiles.requireValidAt(a, file, earlier));
    assertTrue(e.getMessage().startsWith(file + " is not valid before"), e.getMessage());
  }
}
