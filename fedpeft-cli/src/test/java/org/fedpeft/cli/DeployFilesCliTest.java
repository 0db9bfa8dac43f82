package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code client}, {@code node} and {@code server} check in their files before they connect or
 * listen: the TLS files (a key of another certificate, a certificate of another CA, a file that is
 * not PEM) and the {@code --state} folder. Each is bad input (exit 2) naming the file, where it
 * used to become a TLS error retried forever, or a failure of every fit that only the server saw
 * (QA, 2 December). Nothing listens at the {@code --server} address: the checks come first.
 */
@Timeout(300) // the code before these checks connected and retried forever
class DeployFilesCliTest {

  @TempDir Path tmp;

  private Path certs;

  @BeforeEach
  void certificates() {
    certs = tmp.resolve("certs");
    CliRun.Result r = CliRun.run("certs", "--out", certs.toString(), "--population", "2");
    assertEquals(0, r.code(), r.err());
  }

  private static CliRun.Result client(Path certs, Path state, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "client",
                "--set",
                "clients=2",
                "--set",
                "clients_per_round=2",
                "--server",
                "127.0.0.1:1",
                "--id",
                "client-0",
                "--state",
                state.toString()));
    if (certs != null) {
      a.addAll(List.of("--certs", certs.toString()));
    }
    a.addAll(List.of(more));
    return CliRun.run(a.toArray(new String[0]));
  }

  @Test
  void aKeyOfAnotherCertificateIsNamed() throws Exception {
    Files.copy(
        certs.resolve("client-client-1.key"),
        certs.resolve("client-client-0.key"),
        StandardCopyOption.REPLACE_EXISTING);
    CliRun.Result r = client(certs, tmp.resolve("state"));
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "fedpeft client: "
                    + certs.resolve("client-client-0.key")
                    + " is not the private key of "
                    + certs.resolve("client-client-0.crt")),
        r.err());
  }

  @Test
  void aCertificateOfAnotherCaInTheFolderIsNamed() throws Exception {
    Path other = tmp.resolve("other");
    assertEquals(0, CliRun.run("certs", "--out", other.toString(), "--population", "2").code());
    for (String f : List.of("client-client-0.crt", "client-client-0.key")) {
      Files.copy(other.resolve(f), certs.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    CliRun.Result r = client(certs, tmp.resolve("state"));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("was not signed by the CA of " + certs.resolve("ca.crt")), r.err());
    // the same files given one by one may come from another PKI: not refused for that (the next
    // check, of a damaged --state file, stops it before it connects)
    Path state = Files.createDirectories(tmp.resolve("damaged"));
    Files.writeString(state.resolve("client-0.safetensors"), "not safetensors");
    CliRun.Result single =
        client(
            null,
            state,
            "--ca",
            certs.resolve("ca.crt").toString(),
            "--cert",
            certs.resolve("client-client-0.crt").toString(),
            "--key",
            certs.resolve("client-client-0.key").toString());
    assertEquals(2, single.code(), single.err());
    assertTrue(single.err().contains("the saved state of client client-0"), single.err());
  }

  @Test
  void aServerCertificateThatIsNotPemIsNamedAndNoRunFolderIsMade() throws Exception {
    Files.writeString(certs.resolve("server.crt"), "hello\n");
    Path out = tmp.resolve("run");
    CliRun.Result r =
        CliRun.run(
            "server",
            "--out",
            out.toString(),
            "--listen",
            "127.0.0.1:0",
            "--certs",
            certs.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().startsWith("fedpeft server: " + certs.resolve("server.crt") + " does not start"),
        r.err());
    assertTrue(Files.notExists(out));
  }

  @Test
  void aDamagedStateFileOrAStateThatIsAFileIsNamed() throws Exception {
    Path state = Files.createDirectories(tmp.resolve("state"));
    Files.writeString(state.resolve("client-0.safetensors"), "not safetensors");
    CliRun.Result r = client(certs, state);
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "fedpeft client: --state "
                    + state
                    + ": the saved state of client client-0 cannot be read ("),
        r.err());

    Path file = Files.writeString(tmp.resolve("state.txt"), "x");
    r = client(certs, file);
    assertEquals(2, r.code(), r.err());
    assertEquals("fedpeft client: --state " + file + " is a file, not a folder", r.err().strip());
  }
}
