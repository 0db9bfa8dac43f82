package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leftovers, 8: a hint run through the real launcher, as README runs it ({@code ./fedpeft ...}),
 * names {@code ./fedpeft}, so that it runs when pasted back (it named a bare {@code fedpeft}, not
 * found unless the launcher's folder is on PATH). The launcher and the scripts it sources are
 * copied into a checkout whose "build" is a fake {@code mvn}: an empty jar for each module's jar
 * and this test's class path as the dependencies, so the real JVM runs this build's classes (needs
 * bash; skipped without it).
 */
class LauncherHintCliTest {

  @TempDir Path tmp;

  @Test
  void aHintRunThroughTheLauncherNamesItAsTheUserRanIt() throws Exception {
    Path checkout = LauncherRebuildTest.checkout(tmp.resolve("checkout"));
    Path empty = tmp.resolve("empty.jar");
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(empty))) {
      jar.flush();
    }
    Path classPath = tmp.resolve("classpath.txt");
    Files.writeString(classPath, System.getProperty("java.class.path"));
    Path bin = tmp.resolve("bin");
    LauncherRebuildTest.script(
        bin.resolve("mvn"),
        "for m in cli core grpc; do mkdir -p fedpeft-$m/target; cp '"
            + empty
            + "' fedpeft-$m/target/fedpeft-$m-1.jar; done\n"
            + "cp '"
            + classPath
            + "' fedpeft-cli/target/classpath.txt\n");
    // A run folder given as simulate's CONFIG: refused, naming the resume that continues it.
    Path run = Files.createDirectories(checkout.resolve("runs").resolve("x"));
    Files.writeString(run.resolve("config.json"), "{}");

    ProcessBuilder pb =
        new ProcessBuilder("bash", "-c", "./fedpeft simulate runs/x")
            .directory(checkout.toFile())
            .redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(2, p.waitFor(), out);
    assertTrue(
        out.contains(
            "runs/x is a folder, not a config file (a TOML file such as"
                + " examples/fedit-noun-topic.toml); it holds a run (config.json): to continue it,"
                + " ./fedpeft simulate --resume runs/x"),
        out);
  }
}
