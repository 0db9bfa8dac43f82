package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: on a terminal, a {@code certs} call of many certificates refused while its bar
 * was drawn in place (a pair of another CA among those it keeps) printed its message right after
 * the bar, on the bar's line: {@code certs: signing [====> ] 51/101 ETA 0:00fedpeft certs: ...}.
 * The bar is now erased first, so the message starts on a line of its own.
 */
class CertsRefusalAfterBarCliTest {

  @TempDir Path tmp;

  private String told;

  @AfterEach
  void restore() {
    if (told == null) {
      System.clearProperty(ProgressBar.STDERR_TERMINAL);
    } else {
      System.setProperty(ProgressBar.STDERR_TERMINAL, told);
    }
  }

  @Test
  void aRefusalWhileTheBarIsDrawnStartsOnALineOfItsOwn() throws Exception {
    // Bars redraw in place where the launcher says stderr is a terminal, never under CI.
    assumeTrue(System.getenv("CI") == null, "bars do not redraw in place under CI");
    Path dir = tmp.resolve("certs");
    Path other = tmp.resolve("other");
    assertEquals(0, CliRun.run("certs", "--out", dir.toString(), "--clients", "a").code());
    assertEquals(
        0, CliRun.run("certs", "--out", other.toString(), "--clients", "client-50").code());
    for (String f : new String[] {"client-client-50.crt", "client-client-50.key"}) {
      Files.copy(other.resolve(f), dir.resolve(f));
    }
    told = System.getProperty(ProgressBar.STDERR_TERMINAL);
    System.setProperty(ProgressBar.STDERR_TERMINAL, "true");

    CliRun.Result r = CliRun.run("certs", "--out", dir.toString(), "--population", "100");
    assertEquals(2, r.code(), r.err());
    String message = "fedpeft certs: " + dir.resolve("client-client-50.crt") + " is not signed by ";
    int at = r.err().indexOf(message);
    assertTrue(at > 0, r.err());
    assertTrue(r.err().startsWith("\rcerts: signing ["), r.err());
    assertTrue(
        r.err().substring(0, at).endsWith("\r\u001b[K"),
        () -> "the message follows the bar on its line: " + r.err().replace("\u001b", "ESC"));
  }
}
