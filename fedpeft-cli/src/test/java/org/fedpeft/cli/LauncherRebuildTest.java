package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ./fedpeft launcher rebuilds when a source changed since its last build (README). QA, 3
 * December: it stamped a build when the build ended, so a source saved while Maven ran was older
 * than the stamp and never built (the snapshot ran the classes Maven had compiled, and
 * manifest.json's git_commit was the one taken before the edit, without +dirty). Here a fake {@code
 * mvn} saves a source while it "builds", and the next call must build again. A fake {@code java}
 * stands in for the JVM. Needs bash; skipped without it.
 */
class LauncherRebuildTest {

  static final Path LAUNCHER = Path.of("..", "fedpeft").toAbsolutePath().normalize();
  static final Path SH = Path.of("src", "main", "sh").toAbsolutePath();

  @TempDir Path tmp;

  static void script(Path file, String body) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "#!/usr/bin/env bash\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** What the fake {@code mvn} writes for the launcher to copy, as a real build would. */
  static final String FAKE_BUILD =
      "mkdir -p fedpeft-cli/target fedpeft-core/target fedpeft-grpc/target\n"
          + "touch fedpeft-cli/target/fedpeft-cli-1.jar fedpeft-core/target/fedpeft-core-1.jar"
          + " fedpeft-grpc/target/fedpeft-grpc-1.jar\n"
          + "echo /nowhere/dep.jar > fedpeft-cli/target/classpath.txt\n";

  /** A checkout holding only the launcher and the scripts it sources; skips without bash. */
  private Path checkout() throws IOException {
    return checkout(tmp.resolve("checkout"));
  }

  /**
   * The folder {@code checkout} holding only the launcher (executable) and the scripts it sources;
   * skips without bash.
   */
  static Path checkout(Path checkout) throws IOException {
    assumeTrue(
        Files.isRegularFile(Path.of("/bin/bash")) || Files.isRegularFile(Path.of("/usr/bin/bash")));
    Files.createDirectories(checkout);
    Files.copy(LAUNCHER, checkout.resolve("fedpeft"));
    Files.setPosixFilePermissions(
        checkout.resolve("fedpeft"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Path sh = checkout.resolve("fedpeft-cli/src/main/sh");
    Files.createDirectories(sh);
    Files.copy(SH.resolve("git-commit.sh"), sh.resolve("git-commit.sh"));
    Files.copy(SH.resolve("native-settings.sh"), sh.resolve("native-settings.sh"));
    return checkout;
  }

  private String launch(Path checkout, Path bin) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder("bash", checkout.resolve("fedpeft").toString(), "--version")
            .directory(tmp.toFile())
            .redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  @Test
  void aSourceSavedDuringTheBuildIsBuiltByTheNextCall() throws Exception {
    Path checkout = checkout();
    Path source = checkout.resolve("fedpeft-core/src/main/java/A.java");
    Files.createDirectories(source.getParent());
    Files.writeString(source, "class A {}\n");
    Path builds = tmp.resolve("builds.txt");
    Path editDuringBuild = tmp.resolve("edit-during-build");
    Path bin = tmp.resolve("bin");
    // mvn: counts builds, writes what the launcher copies, and (the first time) saves a source
    script(
        bin.resolve("mvn"),
        "echo build >> '"
            + builds
            + "'\n"
            + FAKE_BUILD
            + "if [[ -f '"
            + editDuringBuild
            + "' ]]; then rm '"
            + editDuringBuild
            + "'; echo 'class A { int x; }' > '"
            + source
            + "'; fi\n");
    script(bin.resolve("java"), "echo java ran\n");

    Files.writeString(editDuringBuild, "");
    launch(checkout, bin);
    assertEquals(List.of("build"), Files.readAllLines(builds));
    // A.java changed while that build ran: this call builds it
    launch(checkout, bin);
    assertEquals(List.of("build", "build"), Files.readAllLines(builds));
    // nothing changed since: no build
    launch(checkout, bin);
    assertEquals(List.of("build", "build"), Files.readAllLines(builds));
  }

  /**
   * The launcher tells the JVM whether standard error and standard input are terminals (Java 17
   * cannot tell on its own); here they are not.
   */
  @Test
  void theLauncherSaysWhetherStandardErrorIsATerminal() throws Exception {
    Path checkout = checkout();
    Path bin = tmp.resolve("bin");
    script(bin.resolve("mvn"), FAKE_BUILD);
    script(bin.resolve("java"), "for a in \"$@\"; do echo \"java arg: $a\"; done\n");
    String out = launch(checkout, bin);
    assertTrue(out.contains("java arg: -Dfedpeft.stderr.terminal=false\n"), out);
    assertTrue(out.contains("java arg: -Dfedpeft.stdin.terminal=false\n"), out);
  }
}
