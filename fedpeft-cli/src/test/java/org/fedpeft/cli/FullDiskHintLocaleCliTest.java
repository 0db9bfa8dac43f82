package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dedupe, 3 December: the "a disk is full" hint was added where a message held the C locale's words
 * for {@code ENOSPC}, so with {@code LC_ALL=de_DE.UTF-8} (the JDK then says "Auf dem Gerät ist kein
 * Speicherplatz mehr verfügbar") a full disk got no hint; and {@code tasks export} counted a full
 * disk while creating its temporary folder as bad input (exit 2). {@code tasks export} runs in a
 * child JVM in its own mount namespace ({@code unshare -m}) with {@code --out} on a tiny tmpfs that
 * is full, in German where that locale can be built (else in the C locale); where no such mount can
 * be made, the test is skipped.
 */
class FullDiskHintLocaleCliTest {

  private static final long HANG_SECONDS = 300;

  private static final String HINT = "(a disk is full; what was written before is intact:";

  @TempDir Path tmp;

  @Test
  void aFullDiskGetsTheHintInAnyLanguageAndExitsOne() throws Exception {
    Map<String, String> german = GermanLocale.build(Files.createDirectory(tmp.resolve("locales")));
    Path mount = Files.createDirectory(tmp.resolve("full"));
    Path out = mount.resolve("export");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // A 64 KiB tmpfs, filled: writing a byte into a new file there fails with ENOSPC.
    String script =
        "mount -t tmpfs -o size=64k tmpfs \"$1\" || exit 97;"
            + " head -c 1048576 /dev/zero > \"$1/fill\" 2>/dev/null;"
            + " shift; exec \"$@\"";
    List<String> command =
        new ArrayList<>(
            List.of(
                "unshare",
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
                mount.toString(),
                java,
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    command.addAll(
        List.of("tasks", "export", "wordnet-verb-frame", "--max-train", "3", "--out", "" + out));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (german != null) {
      pb.environment().putAll(german);
    }
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      assumeTrue(false, "unshare cannot be run here: " + e.getMessage());
      return;
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(HANG_SECONDS, TimeUnit.SECONDS), "the export did not end: " + output);
    assumeTrue(
        p.exitValue() != 97 && !output.contains("unshare:"),
        "no tmpfs can be mounted here: " + output);

    // the last line: a JVM may print notes of its own first (JAVA_TOOL_OPTIONS)
    String last = output.strip().lines().reduce((a, b) -> b).orElse("");
    assertTrue(
        last.startsWith(
            "fedpeft tasks export: --out " + out + ": cannot create a folder in " + mount + " ("),
        output);
    assertTrue(last.contains(HINT), output);
    assertEquals(last.indexOf(HINT), last.lastIndexOf(HINT), "the hint once: " + output);
    if (german != null) {
      assertTrue(!last.contains("No space left on device"), "not in German: " + output);
    }
    assertEquals(1, p.exitValue(), output);
  }
}
