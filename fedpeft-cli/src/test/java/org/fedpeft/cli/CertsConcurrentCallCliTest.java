package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fedpeft.grpc.CertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: two {@code certs} calls on one folder at the same time could both find it empty
 * and both write, the later rename of each file replacing the earlier, leaving {@code ca.key} of
 * one call next to {@code ca.crt} of the other. A call now holds the folder's lock file ({@value
 * CertificateGenerator#LOCK_FILE}) from its first check to its last file; a second call is refused
 * (exit 2), naming the folder and the process holding it, and writes nothing. Here the lock is held
 * as another process would hold it: the file locked, recording its holder.
 */
class CertsConcurrentCallCliTest {

  @TempDir Path tmp;

  /** Every file of a folder with its bytes. */
  private static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        m.put(p.getFileName().toString(), Files.readString(p));
      }
    }
    return m;
  }

  private static void refusedWhileHeld(Path dir) throws Exception {
    Files.createDirectories(dir);
    Path lockFile = dir.resolve(CertificateGenerator.LOCK_FILE);
    String owner =
        "{\"command\":\"certs\",\"pid\":4242,\"started\":\"2026-12-03T12:00:00.000Z\"}\n";
    try (FileChannel ch =
        FileChannel.open(
            lockFile,
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      FileLock held = ch.tryLock();
      assertNotNull(held);
      ch.write(ByteBuffer.wrap(owner.getBytes(StandardCharsets.UTF_8)), 0);
      Map<String, String> before = contents(dir);

      CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--clients", "b");

      assertEquals(2, r.code(), r.err());
      assertEquals(
          "fedpeft certs: "
              + dir
              + " is in use by another fedpeft process (pid 4242, fedpeft certs, started"
              + " 2026-12-03T12:00:00.000Z)"
              + System.lineSeparator(),
          r.err());
      assertEquals("", r.out());
      assertEquals(before, contents(dir));
    }
    Files.delete(lockFile);
  }

  @Test
  void aSecondCallOnAFolderInUseIsRefusedAndWritesNothing() throws Exception {
    Path dir = tmp.resolve("certs");
    assertEquals(0, CliRun.run("certs", "--out", dir.toString(), "--clients", "a").code());
    assertFalse(
        Files.exists(dir.resolve(CertificateGenerator.LOCK_FILE)), "left after a normal call");

    refusedWhileHeld(dir);

    // Once the other call is over, the same call goes through, and leaves no lock file.
    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--clients", "b");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isRegularFile(dir.resolve("client-b.crt")));
    assertFalse(Files.exists(dir.resolve(CertificateGenerator.LOCK_FILE)));
  }

  @Test
  void aFirstCallOnAFolderInUseIsRefusedAndWritesNothing() throws Exception {
    refusedWhileHeld(tmp.resolve("new"));
  }

  @Test
  void aRefusedCallLeavesNoLockFile() throws Exception {
    Path dir = tmp.resolve("certs");
    assertEquals(0, CliRun.run("certs", "--out", dir.toString(), "--clients", "a").code());
    Files.delete(dir.resolve("ca.key"));
    Map<String, String> before = contents(dir);

    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--clients", "b");

    assertEquals(2, r.code(), r.err());
    assertEquals(before, contents(dir));
  }
}
