package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fedpeft.grpc.CertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@code fedpeft certs} used as a user would, with wrong input. Each refusal exits
 * 2 with one line naming the option (or the file) and writes nothing.
 */
class CertsCommandUserTest {

  @TempDir Path tmp;

  /** Every file of a folder with its bytes, to compare a folder before and after a command. */
  private static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        m.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    return m;
  }

  /**
   * A refusal found after some certificates were made (here the node certificate that exists with
   * other clients, checked after the new client's) wrote the new client's pair before it failed:
   * the folder was left with files of a call that reported failure.
   */
  @Test
  void aRefusedCallLeavesTheFolderAsItWas() throws Exception {
    Path dir = tmp.resolve("certs");
    CliRun.Result r =
        CliRun.run("certs", "--out", dir.toString(), "--node", "edge", "--hosts", "c0");
    assertEquals(0, r.code(), r.err());
    Map<String, String> before = contents(dir);

    r =
        CliRun.run(
            "certs",
            "--out",
            dir.toString(),
            "--clients",
            "new",
            "--node",
            "edge",
            "--hosts",
            "c0,c1");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(dir.resolve("client-edge.crt") + " exists and names"), r.err());
    assertEquals(before, contents(dir));
  }

  /**
   * A folder whose ca.crt and ca.key were removed got a new CA, and the certificates it still held
   * (signed by the old one) were reported as kept: a server started with it then refused its own
   * server.crt. Now the kept certificate is named and nothing is written.
   */
  @Test
  void aCertificateTheFoldersCaDidNotSignIsNotKept() throws Exception {
    Path dir = tmp.resolve("certs");
    assertEquals(0, CliRun.run("certs", "--out", dir.toString(), "--clients", "a").code());
    Files.delete(dir.resolve("ca.crt"));
    Files.delete(dir.resolve("ca.key"));
    Map<String, String> before = contents(dir);

    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--clients", "b");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "fedpeft certs: "
                    + dir.resolve("server.crt")
                    + " was signed by a CA whose ca.crt and ca.key are no longer in the folder"),
        r.err());
    assertEquals(before, contents(dir));

    // a pair copied in from another 'certs' folder is refused the same way
    Path other = tmp.resolve("other");
    assertEquals(0, CliRun.run("certs", "--out", other.toString(), "--clients", "x").code());
    Files.copy(other.resolve("client-x.crt"), dir.resolve("client-x.crt"));
    Files.copy(other.resolve("client-x.key"), dir.resolve("client-x.key"));
    Files.delete(dir.resolve("server.crt"));
    Files.delete(dir.resolve("server.key"));
    Files.delete(dir.resolve("client-a.crt"));
    Files.delete(dir.resolve("client-a.key"));
    Files.copy(other.resolve("ca.crt"), dir.resolve("ca.crt"));
    Files.copy(other.resolve("ca.key"), dir.resolve("ca.key"));
    Path third = tmp.resolve("third");
    assertEquals(0, CliRun.run("certs", "--out", third.toString(), "--clients", "y").code());
    Files.copy(third.resolve("client-y.crt"), dir.resolve("client-y.crt"));
    Files.copy(third.resolve("client-y.key"), dir.resolve("client-y.key"));
    before = contents(dir);
    r = CliRun.run("certs", "--out", dir.toString(), "--clients", "x,y,z");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: "
            + dir.resolve("client-y.crt")
            + " is not signed by "
            + dir.resolve("ca.crt")
            + ": remove "
            + dir.resolve("client-y.crt")
            + " and "
            + dir.resolve("client-y.key")
            + " to issue a new pair (and give it to its owner again)",
        r.err().strip());
    assertEquals(before, contents(dir));
  }

  /**
   * --days past year 9999 failed with exit 1 and "java.io.IOException: Parse Generalized time,
   * invalid format", leaving an empty --out folder behind.
   */
  @Test
  void daysBeyondWhatACertificateCanCarryAreRefusedNamingDays() {
    Path dir = tmp.resolve("certs");
    CliRun.Result r =
        CliRun.run("certs", "--out", dir.toString(), "--clients", "a", "--days", "3000000");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "fedpeft certs: --days 3000000: a validity of 3000000 days would end after"
                    + " 9999-12-31T23:59:59Z"),
        r.err());
    assertTrue(Files.notExists(dir));
  }

  /**
   * An empty --out (an unset shell variable) wrote the CA's key and every certificate into the
   * current folder; it is refused as the other commands refuse it.
   */
  @Test
  void anEmptyOutIsRefused() {
    CliRun.Result r = CliRun.run("certs", "--out", "", "--clients", "a");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: --out is empty: give a folder name (an empty one would write into the"
            + " current folder)",
        r.err().strip());
    assertTrue(Files.notExists(Path.of("ca.key").toAbsolutePath()));
  }

  /** An --out below a file failed with exit 1 and "Not a directory". */
  @Test
  void anOutBelowAFileIsRefusedNamingOut() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    CliRun.Result r =
        CliRun.run("certs", "--out", file.resolve("certs").toString(), "--clients", "a");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: --out " + file.resolve("certs") + ": " + file + " is a file, not a folder",
        r.err().strip());
    assertEquals("x", Files.readString(file));
  }

  /**
   * Bad or repeated names named the option they came from only for ranges: "client names repeat:
   * [client-0, client-1, client-2, client-1]" for a --node that is also a --population id, and a
   * repeated --hosts id was written twice into the node certificate.
   */
  @Test
  void badAndRepeatedNamesNameTheirOption() {
    Path dir = tmp.resolve("certs");
    Map<List<String>, String> cases =
        Map.of(
            List.of("--clients", "a,b,a"),
            "--clients names 'a' twice",
            List.of("--node", "edge", "--hosts", "c0..c3,c2"),
            "--hosts names 'c2' twice",
            List.of("--node", "e e", "--hosts", "c0"),
            "--node name 'e e' is not 1-128 letters, digits, '.', '_' or '-'",
            List.of("--node", "edge", "--hosts", "c0,c/1"),
            "--hosts id 'c/1' is not 1-128 letters, digits, '.', '_' or '-'",
            List.of("--population", "3", "--node", "client-1", "--hosts", "c0"),
            "--node client-1 is also a client id of --population 3: both would be"
                + " client-client-1.crt",
            List.of("--clients", "a,edge", "--node", "edge", "--hosts", "c0"),
            "--node edge is also a name of --clients: both would be client-edge.crt",
            List.of("--clients", "a", "--server-names", "fl example"),
            "--server-names: server name 'fl example' is neither an IP address nor a DNS name",
            List.of("--clients", "a", "--server-names", "localhost,10.0.0.256"),
            "--server-names: server name '10.0.0.256' is not a valid IP address",
            List.of("--clients", "a", "--server-names", "fl:7443"),
            "--server-names: server name 'fl:7443' is not a valid IP address");
    for (Map.Entry<List<String>, String> c : cases.entrySet()) {
      List<String> args = new java.util.ArrayList<>(List.of("certs", "--out", dir.toString()));
      args.addAll(c.getKey());
      CliRun.Result r = CliRun.run(args.toArray(new String[0]));
      assertEquals(2, r.code(), c.getKey() + ": " + r.err());
      assertEquals("fedpeft certs: " + c.getValue(), r.err().strip(), c.getKey().toString());
      assertTrue(Files.notExists(dir), c.getKey().toString());
    }
  }

  /**
   * A symbolic link to a missing file, where a certificate would go, counts as that file: the pair
   * is incomplete, and nothing is written (it was taken for a free name, and the write then stopped
   * at it).
   */
  @Test
  void aDanglingLinkWhereACertificateWouldGoIsAnIncompletePair() throws Exception {
    Path dir = tmp.resolve("certs");
    assertEquals(0, CliRun.run("certs", "--out", dir.toString(), "--clients", "a").code());
    Files.createSymbolicLink(dir.resolve("client-b.crt"), tmp.resolve("missing.crt"));
    Map<String, String> before = new TreeMap<>();
    for (String f : List.of("ca.crt", "ca.key", "server.crt", "client-a.crt", "client-a.key")) {
      before.put(f, Files.readString(dir.resolve(f)));
    }
    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--clients", "b");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: only one of "
            + dir.resolve("client-b.crt")
            + " and "
            + dir.resolve("client-b.key")
            + " exists; remove it or add the other",
        r.err().strip());
    for (Map.Entry<String, String> e : before.entrySet()) {
      assertEquals(e.getValue(), Files.readString(dir.resolve(e.getKey())), e.getKey());
    }
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(7, s.count());
    }
  }

  /**
   * A folder whose CA had expired got new certificates signed by it, reported as written, which no
   * server or client would then accept. The CA here is made valid for one millisecond: its end,
   * stored in whole seconds, has passed when the command runs.
   */
  @Test
  void anExpiredCaSignsNothing() throws Exception {
    Path dir = tmp.resolve("certs");
    new CertificateGenerator(java.time.Duration.ofMillis(1))
        .write(dir, List.of("localhost"), List.of("a"));
    Map<String, String> before = contents(dir);
    java.time.Instant end =
        CertificateGenerator.readCertificate(dir.resolve("ca.crt")).getNotAfter().toInstant();

    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--clients", "b");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft certs: "
            + dir.resolve("ca.crt")
            + " expired on "
            + end
            + ": a certificate it signs now could not be used; write a new CA into another folder"
            + " (every node then needs its ca.crt and a new pair)",
        r.err().strip());
    assertEquals(before, contents(dir));
  }

  /** Keys are owner-only; no temporary file is left. */
  @Test
  void keysAreOwnerOnlyAndNothingElseIsLeft() throws Exception {
    Path dir = tmp.resolve("certs");
    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--population", "2");
    assertEquals(0, r.code(), r.err());
    Map<String, String> files = contents(dir);
    assertEquals(
        List.of(
            "ca.crt",
            "ca.key",
            "client-client-0.crt",
            "client-client-0.key",
            "client-client-1.crt",
            "client-client-1.key",
            "server.crt",
            "server.key"),
        List.copyOf(files.keySet()));
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      for (String f : files.keySet()) {
        if (f.endsWith(".key")) {
          assertEquals(
              "rw-------",
              PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f))),
              f);
        }
      }
    }
    CertificateGenerator.readPrivateKey(dir.resolve("ca.key"));
  }
}
