package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.fedpeft.grpc.CertificateGenerator;
import org.fedpeft.grpc.Certificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertsCommandTest {

  @TempDir Path tmp;

  @Test
  void writesTheCaServerAndClientCertificates() throws Exception {
    Path dir = tmp.resolve("certs");
    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--clients", "a,b,c");
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    assertEquals(10, r.out().strip().split("\\R").length, r.out());
    assertTrue(r.out().contains("wrote " + dir.resolve("client-c.key")), r.out());
    X509Certificate ca = CertificateGenerator.readCertificate(dir.resolve("ca.crt"));
    for (String name : new String[] {"a", "b", "c"}) {
      X509Certificate c =
          CertificateGenerator.readCertificate(dir.resolve("client-" + name + ".crt"));
      c.verify(ca.getPublicKey());
      assertEquals(name, Certificates.commonName(c));
    }
    CertificateGenerator.readCertificate(dir.resolve("server.crt")).verify(ca.getPublicKey());

    // again with one more client: the CA and existing certificates are kept
    byte[] caBefore = Files.readAllBytes(dir.resolve("ca.crt"));
    r = CliRun.run("certs", "--out", dir.toString(), "--clients", "a,d");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("wrote " + dir.resolve("client-d.crt")), r.out());
    assertTrue(r.out().contains("kept " + dir.resolve("client-a.crt")), r.out());
    assertEquals(new String(caBefore), Files.readString(dir.resolve("ca.crt")));
  }

  @Test
  void aBadClientNameIsOneLineAndExitCode2() {
    CliRun.Result r =
        CliRun.run("certs", "--out", tmp.resolve("x").toString(), "--clients", "a,b/c");
    assertEquals(2, r.code());
    assertEquals(
        "fedpeft certs: --clients name 'b/c' is not 1-128 letters, digits, '.', '_' or '-'",
        r.err().strip());
    assertTrue(Files.notExists(tmp.resolve("x")));
  }

  @Test
  void aPopulationAndANodeCertificate() throws Exception {
    Path dir = tmp.resolve("pop");
    CliRun.Result r =
        CliRun.run(
            "certs",
            "--out",
            dir.toString(),
            "--population",
            "12",
            "--node",
            "edge",
            "--hosts",
            "client-03..client-05,client-11");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.exists(dir.resolve("client-client-00.crt")), r.out());
    assertTrue(Files.exists(dir.resolve("client-client-11.crt")), r.out());
    assertTrue(Files.notExists(dir.resolve("client-client-12.crt")), r.out());
    X509Certificate edge = CertificateGenerator.readCertificate(dir.resolve("client-edge.crt"));
    assertEquals(
        java.util.List.of("client-03", "client-04", "client-05", "client-11"),
        Certificates.hostedClients(edge));
    CliRun.Result bad =
        CliRun.run(
            "certs", "--out", dir.toString(), "--node", "x", "--hosts", "client-8..client-12");
    assertEquals(2, bad.code());
    assertTrue(
        bad.err().contains("--hosts 'client-8..client-12': not a range FIRST..LAST"), bad.err());
  }

  /**
   * QA, 2 December: a reversed range said only that it "is not a range FIRST..LAST of ids with the
   * same prefix and number width", which it is; the message names the option and the value, says
   * that the range is reversed and gives the range meant. Nothing is written.
   */
  @Test
  void aReversedHostsRangeIsNamedAsReversed() {
    Path dir = tmp.resolve("reversed");
    CliRun.Result r =
        CliRun.run(
            "certs",
            "--out",
            dir.toString(),
            "--node",
            "edge",
            "--hosts",
            "client-00,client-05..client-02");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: --hosts 'client-05..client-02': the range is reversed: its first id,"
            + " client-05, comes after its last, client-02; write client-02..client-05",
        r.err().strip());
    assertTrue(Files.notExists(dir));
    CliRun.Result huge =
        CliRun.run(
            "certs", "--out", dir.toString(), "--node", "edge", "--hosts", "c-000000..c-999999");
    assertEquals(2, huge.code(), huge.err());
    assertTrue(
        huge.err().contains("--hosts 'c-000000..c-999999': a range of 1000000 ids; at most 100000"),
        huge.err());
  }

  @Test
  void clientsAreAddedUnderTheServerNamesTheFolderHasAndOtherNamesAreRefused() throws Exception {
    Path dir = tmp.resolve("named");
    CliRun.Result r =
        CliRun.run(
            "certs", "--out", dir.toString(), "--clients", "a", "--server-names", "fl.example.org");
    assertEquals(0, r.code(), r.err());
    r = CliRun.run("certs", "--out", dir.toString(), "--clients", "b");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("kept " + dir.resolve("server.crt")), r.out());
    r =
        CliRun.run(
            "certs", "--out", dir.toString(), "--clients", "c", "--server-names", "10.0.0.1");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "fedpeft certs: "
                    + dir.resolve("server.crt")
                    + " exists and names [fl.example.org], not [10.0.0.1]"),
        r.err());
    r = CliRun.run("certs", "--out", dir.toString(), "--node", "edge", "--hosts", "x,y");
    assertEquals(0, r.code(), r.err());
    r = CliRun.run("certs", "--out", dir.toString(), "--node", "edge", "--hosts", "x,y,z");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("names [client:x, client:y], not [client:x,"), r.err());
  }
}
