package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fedpeft.cli.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@code certs} without {@code --server-names} read the names of the folder's
 * server certificate before it took the folder's lock. Another call that wrote the server
 * certificate in between (with its own --server-names) made this one refuse the folder ("server.crt
 * exists and names [fl.example.org], not [localhost, 127.0.0.1]") although it only added a client.
 * The names are now read under the lock. The other call runs here, to its end, when this one has
 * checked its options and is about to take the lock ({@link CertificateGenerator#onHookAdded}, in
 * this package for that).
 */
class CertsServerNamesUnderLockCliTest {

  @TempDir Path tmp;

  @AfterEach
  void restore() {
    CertificateGenerator.onHookAdded = hook -> {};
  }

  /** {@code fedpeft ARGS} in this process: its exit code, stdout and stderr. */
  private static List<String> run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return List.of(Integer.toString(code), out.toString(), err.toString());
  }

  @Test
  void aServerCertificateWrittenBeforeTheLockIsKeptWithItsNames() throws Exception {
    Path dir = tmp.resolve("certs");
    List<List<String>> other = new ArrayList<>();
    AtomicBoolean first = new AtomicBoolean(true);
    CertificateGenerator.onHookAdded =
        hook -> {
          if (first.getAndSet(false)) { // not again for the other call itself
            other.add(
                run(
                    "certs",
                    "--out",
                    dir.toString(),
                    "--server-names",
                    "fl.example.org",
                    "--clients",
                    "b"));
          }
        };
    List<String> r = run("certs", "--out", dir.toString(), "--clients", "a");
    assertEquals("0", other.get(0).get(0), other.get(0).get(2));
    assertEquals("0", r.get(0), r.get(2));
    Path server = dir.resolve(CertificateGenerator.SERVER_CERT);
    assertEquals(
        List.of("fl.example.org"),
        Certificates.alternativeNames(CertificateGenerator.readCertificate(server)));
    assertTrue(r.get(1).contains("kept " + server), r.get(1));
    assertTrue(Files.exists(dir.resolve(CertificateGenerator.clientCertName("a"))));
  }
}
