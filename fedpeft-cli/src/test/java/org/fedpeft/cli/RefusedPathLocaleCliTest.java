package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: a path the file system refuses with EPERM was told by the JDK's English words for
 * it, "Operation not permitted"; with {@code LC_ALL=de_DE.UTF-8} the JDK words it "Die Operation
 * ist nicht erlaubt", so {@code certs --out /sys/x} exited 1 as an internal failure. Skipped where
 * the German locale cannot be built ({@code localedef}, glibc's German messages) or /sys does not
 * refuse a new folder with EPERM.
 */
@Timeout(600) // a hang guard: a child process that never prints what is awaited fails the test
class RefusedPathLocaleCliTest {

  private static final Path TARGET = Path.of("/sys/fedpeft-qa-refused-locale");

  @TempDir Path tmp;

  @Test
  void certsOutRefusedInGermanIsBadInput() throws Exception {
    Path locales = Files.createDirectory(tmp.resolve("locales"));
    Map<String, String> german = GermanLocale.build(locales);
    assumeTrue(german != null, "no German locale can be built here (localedef)");
    String reason = germanEperm(german);
    assumeTrue(
        reason != null && !reason.contains("Operation not permitted"),
        "no German words for EPERM here: " + reason);
    try (Spawned certs =
        Spawned.fedpeft(
            "certs",
            Map.of(),
            german,
            List.of("certs", "--out", TARGET.toString(), "--clients", "a"))) {
      int code = certs.waitFor();
      String expected =
          "fedpeft certs: "
              + TARGET
              + ": cannot create the output folder ("
              + reason
              + "); choose another --out";
      // the last line: a JVM may print notes of its own first (JAVA_TOOL_OPTIONS)
      String last = certs.output().strip().lines().reduce((a, b) -> b).orElse("");
      assertEquals(expected, last, certs.output());
      assertEquals(2, code, certs.output());
    }
  }

  /**
   * The words {@code mkdir TARGET} fails with in the German locale, or null if it does not fail.
   */
  private static String germanEperm(Map<String, String> german) throws InterruptedException {
    try {
      ProcessBuilder pb = new ProcessBuilder("mkdir", TARGET.toString()).redirectErrorStream(true);
      pb.environment().putAll(german);
      Process mkdir = pb.start();
      String out =
          new String(mkdir.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (mkdir.waitFor() == 0) {
        Files.deleteIfExists(TARGET);
        return null;
      }
      int colon = out.lastIndexOf(": ");
      return colon < 0 ? null : out.substring(colon + 2);
    } catch (IOException e) {
      return null;
    }
  }
}
