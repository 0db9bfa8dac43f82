package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: a {@code certs} call cut short by Ctrl-C (or SIGTERM) while it wrote its files
 * left those already written (for a large --population, hundreds of pairs, half a pair, or a CA key
 * without its certificate), though a call writes all its files or none. The process's end now
 * removes them, as a failure while writing does. The test runs the call's shutdown hook as the
 * process's end would, after the third file is written.
 */
class CertificateGeneratorShutdownTest {

  @TempDir Path tmp;

  @AfterEach
  void restore() {
    CertificateGenerator.onHookAdded = hook -> {};
  }

  @Test
  void theProcessEndingWhileFilesAreWrittenLeavesNone() throws Exception {
    Path dir = tmp.resolve("new").resolve("certs");
    AtomicReference<Thread> hook = new AtomicReference<>();
    CertificateGenerator.onHookAdded = hook::set;
    CertificateGenerator g =
        new CertificateGenerator(Duration.ofDays(1))
            .withProgress(
                (phase, done, total) -> {
                  if (phase.equals("writing") && done == 3) {
                    assertTrue(Files.exists(dir.resolve(CertificateGenerator.SERVER_KEY)));
                    assertNotNull(hook.get(), "no shutdown hook while the files are written");
                    hook.get().run(); // as at Ctrl-C: the hook's thread runs while this one waits
                  }
                });
    InterruptedIOException e =
        assertThrows(
            InterruptedIOException.class,
            () -> g.write(dir, List.of("localhost"), List.of("a", "b")));
    assertEquals(
        "the process is shutting down: the files this call wrote were removed", e.getMessage());
    assertFalse(Files.exists(tmp.resolve("new")), () -> list(tmp));
  }

  @Test
  void aCompletedCallKeepsItsFiles() throws Exception {
    Path dir = tmp.resolve("certs");
    AtomicReference<Thread> hook = new AtomicReference<>();
    CertificateGenerator.onHookAdded = hook::set;
    CertificateGenerator.Result r =
        new CertificateGenerator(Duration.ofDays(1)).write(dir, List.of("localhost"), List.of("a"));
    assertEquals(6, r.written().size());
    for (Path p : r.written()) {
      assertTrue(Files.isRegularFile(p), p.toString());
    }
    assertNotNull(hook.get());
  }

  private static String list(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(Path::toString).toList().toString();
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
