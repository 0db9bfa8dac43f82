package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fedpeft-cli/src/main/sh/git-commit.sh, which gives the Maven build of the ./fedpeft launcher the
 * commit it stamps into fedpeft-core (manifest.json's git_commit): the commit of the checkout the
 * launcher lives in, "+dirty" when the build's sources differ from it, and "unknown" for a folder
 * that is not a checkout of its own (user audit, 3 December: the commit of whatever repository the
 * working directory was in was recorded). Needs bash and git; skipped without them.
 */
class ManifestCommitScriptTest {

  static final Path SCRIPT = Path.of("src", "main", "sh", "git-commit.sh").toAbsolutePath();

  @TempDir static Path tmp;
  static Path repo;
  static String head;

  @BeforeAll
  static void checkout() throws Exception {
    assumeTrue(run(tmp, Map.of(), "git", "--version").startsWith("git version"), "no git");
    repo = tmp.resolve("checkout");
    Files.createDirectories(repo.resolve("fedpeft-core/src/main/java"));
    Files.createDirectories(repo.resolve("fedpeft-core/src/test/java"));
    Files.createDirectories(repo.resolve("docs"));
    Files.writeString(repo.resolve("pom.xml"), "<project/>\n");
    Files.writeString(repo.resolve("fedpeft-core/pom.xml"), "<project/>\n");
    Files.writeString(repo.resolve("fedpeft-core/src/main/java/A.java"), "class A {}\n");
    Files.writeString(repo.resolve("fedpeft-core/src/test/java/ATest.java"), "class ATest {}\n");
    Files.writeString(repo.resolve("docs/a.md"), "# a\n");
    git("init", "-q", ".");
    git("add", "-A");
    git("commit", "-q", "-m", "start");
    head = git("rev-parse", "HEAD");
  }

  private static String git(String... args) throws Exception {
    List<String> c = new ArrayList<>(List.of("git", "-C", repo.toString()));
    c.addAll(List.of("-c", "user.name=t", "-c", "user.email=t@example.org"));
    c.addAll(List.of("-c", "commit.gpgsign=false"));
    c.addAll(List.of(args));
    return run(repo, Map.of(), c.toArray(new String[0]));
  }

  private static String commitOf(Path dir, Map<String, String> env) throws Exception {
    return run(tmp, env, "bash", SCRIPT.toString(), dir.toString());
  }

  private static String run(Path dir, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    return out;
  }

  @Test
  void aCleanCheckoutIsItsHead() throws Exception {
    assertEquals(40, head.length(), head);
    assertEquals(head, commitOf(repo, Map.of()));
    // Not the repository a GIT_DIR in the caller's environment names.
    assertEquals(head, commitOf(repo, Map.of("GIT_DIR", tmp.resolve("elsewhere").toString())));
  }

  @Test
  void changesToTheBuildsSourcesMakeItDirtyAndOthersDoNot() throws Exception {
    Path docs = repo.resolve("docs/a.md");
    Path test = repo.resolve("fedpeft-core/src/test/java/ATest.java");
    Path main = repo.resolve("fedpeft-core/src/main/java/A.java");
    Path added = repo.resolve("fedpeft-core/src/main/java/B.java");
    Path pom = repo.resolve("fedpeft-core/pom.xml");
    try {
      Files.writeString(docs, "# a, edited\n");
      Files.writeString(test, "class ATest { int x; }\n");
      assertEquals(head, commitOf(repo, Map.of()), "docs and tests are not in the jars");
      for (Path p : List.of(main, added, pom)) {
        Files.writeString(p, "<!-- changed -->\n");
        assertEquals(head + "+dirty", commitOf(repo, Map.of()), p.toString());
        git("checkout", "-q", "--", ".");
        Files.deleteIfExists(added);
      }
      assertEquals(head, commitOf(repo, Map.of()));
    } finally {
      git("checkout", "-q", "--", ".");
      Files.deleteIfExists(added);
    }
  }

  /** A source tarball unpacked inside another repository, or a folder in no repository. */
  @Test
  void aFolderThatIsNotACheckoutOfItsOwnIsUnknown() throws Exception {
    Path unpacked = repo.resolve("fedpeft-0.1.0");
    Files.createDirectories(unpacked);
    assertEquals("unknown", commitOf(unpacked, Map.of()));
    Path alone = Files.createDirectories(tmp.resolve("no-repository"));
    assertEquals("unknown", commitOf(alone, Map.of()));
    assertEquals("unknown", commitOf(tmp.resolve("no-such-folder"), Map.of()));
  }
}
