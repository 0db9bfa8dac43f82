package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leftovers, 8: the hints that say what to run next ("continue with: fedpeft simulate --resume
 * OUT") named a bare {@code fedpeft}, which the shell does not find unless the launcher's folder is
 * on PATH, while README and docs run {@code ./fedpeft}. The launcher now passes the command as the
 * user ran it (fedpeft.command) and {@link Launcher} gives it to every hint. Here the launcher's
 * rule, with a fake {@code mvn} and a fake {@code java} that prints its arguments (needs bash;
 * skipped without it), and {@link Launcher}'s default.
 */
class LauncherCommandNameTest {

  @TempDir Path tmp;

  /**
   * Runs the shell line {@code line} in {@code dir} with {@code path} before the PATH of this JVM
   * and returns the name the launcher gave the JVM.
   */
  private String name(Path dir, String path, String line) throws Exception {
    Path bin = tmp.resolve("bin");
    if (!Files.exists(bin)) {
      LauncherRebuildTest.script(bin.resolve("mvn"), LauncherRebuildTest.FAKE_BUILD);
      LauncherRebuildTest.script(
          bin.resolve("java"), "for a in \"$@\"; do echo \"java arg: $a\"; done\n");
    }
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-c", line).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment()
        .put("PATH", (path.isEmpty() ? "" : path + ":") + bin + ":" + System.getenv("PATH"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    String prefix = "java arg: -D" + Launcher.PROPERTY + "=";
    return out.lines()
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + prefix + " in:\n" + out));
  }

  @Test
  void theLauncherNamesItselfAsTheUserRanIt() throws Exception {
    Path checkout = LauncherRebuildTest.checkout(tmp.resolve("checkout"));
    Path launcher = checkout.resolve("fedpeft");

    // a path the user typed is kept as typed
    assertEquals("./fedpeft", name(checkout, "", "./fedpeft --version"));
    assertEquals("checkout/fedpeft", name(tmp, "", "checkout/fedpeft --version"));
    assertEquals(launcher.toString(), name(tmp, "", "'" + launcher + "' --version"));
    // bash fedpeft: a file of the working directory
    assertEquals("./fedpeft", name(checkout, "", "bash fedpeft --version"));
    // found through PATH: the name alone, which finds it again
    assertEquals("fedpeft", name(tmp, checkout.toString(), "fedpeft --version"));
    assertEquals("fedpeft", name(tmp, checkout.toString(), "'" + launcher + "' --version"));
    // another fedpeft first on PATH: the bare name would run that one, so the path stays
    Path other = tmp.resolve("other");
    LauncherRebuildTest.script(other.resolve("fedpeft"), "echo another fedpeft\n");
    assertEquals(
        launcher.toString(), name(tmp, other + ":" + checkout, "'" + launcher + "' --version"));
    // a path the shell would split is quoted, so that the hint pasted back runs it
    LauncherRebuildTest.checkout(tmp.resolve("my checkout"));
    assertEquals("my\\ checkout/fedpeft", name(tmp, "", "'my checkout/fedpeft' --version"));
    // '%' is no shell character and stays (picocli's formats: HelpCommandNameFormatTest)
    LauncherRebuildTest.checkout(tmp.resolve("a%b"));
    assertEquals("a%b/fedpeft", name(tmp, "", "a%b/fedpeft --version"));
  }

  @Test
  void withoutTheLauncherTheNameIsFedpeft() {
    SystemProperties.Restore restore = SystemProperties.set(Launcher.PROPERTY, null);
    try {
      assertEquals(
          "fedpeft simulate --resume runs/x", Launcher.command("simulate --resume runs/x"));
      System.setProperty(Launcher.PROPERTY, " ");
      assertEquals("fedpeft", Launcher.name());
      System.setProperty(Launcher.PROPERTY, "./fedpeft");
      assertEquals("./fedpeft train --resume out", Launcher.command("train --resume out"));
      assertTrue(
          RunGuard.roundsSaved("simulate", 1, 3, Path.of("out"), "")
              .endsWith("; continue with: ./fedpeft simulate --resume out"));
    } finally {
      restore.close();
    }
  }

  /**
   * Leftovers (journey 2): a hint put a path into its command as it was, so a run folder with a
   * space (or a quote) gave a command that, pasted, named other folders. Each path is now one shell
   * word: bash reads the hint's command back into the same words.
   */
  @Test
  void aPathInAHintIsOneShellWordWhenPasted() throws Exception {
    Path dir = Path.of("my runs", "it's $HOME");
    String hint = RunGuard.roundsSaved("simulate", 1, 3, dir, "");
    String command = hint.substring(hint.indexOf("continue with: ") + "continue with: ".length());
    assertTrue(command.startsWith("fedpeft simulate --resume '"), command);
    Process p =
        new ProcessBuilder("bash", "-c", "printf '%s\\n' " + command.substring("fedpeft ".length()))
            .redirectErrorStream(true)
            .start();
    String words = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), words);
    assertEquals("simulate\n--resume\n" + dir + "\n", words);
    assertEquals("runs/x", Launcher.arg("runs/x"));
    assertEquals("127.0.0.1:7443", Launcher.arg("127.0.0.1:7443"));
    assertEquals("'[::1]:7443'", Launcher.arg("[::1]:7443"));
    assertEquals("''", Launcher.arg(""));
  }
}
