package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * manifest.json's git_commit is the commit stamped into the build
 * (org/fedpeft/build-info.properties, written by the Maven build from -Dfedpeft.git.commit), never
 * read from the working directory's repository (user audit, 3 December; RunSafetyCliTest runs a
 * simulation from another repository).
 */
class RunManifestTest {

  private static String commitOf(String text) throws IOException {
    return RunManifest.commitOf(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void theStampedCommitIsRecordedAsItIs() throws IOException {
    String sha = "0123456789abcdef0123456789abcdef01234567";
    assertEquals(sha, commitOf("git.commit=" + sha + "\n"));
    assertEquals(sha + "+dirty", commitOf("# comment\ngit.commit=" + sha + "+dirty\n"));
  }

  @Test
  void anythingElseIsUnknown() throws IOException {
    assertEquals("unknown", RunManifest.commitOf(null)); // no resource: not built by Maven
    assertEquals("unknown", commitOf("git.commit=unknown\n"));
    assertEquals("unknown", commitOf("git.commit=${fedpeft.git.commit}\n")); // not filtered
    assertEquals("unknown", commitOf("git.commit=0123abc\n"));
    assertEquals("unknown", commitOf(""));
  }

  @Test
  void gitCommitIsTheBuildsStamp() throws IOException {
    try (InputStream in = RunManifest.class.getResourceAsStream(RunManifest.BUILD_INFO)) {
      assertEquals(RunManifest.commitOf(in), RunManifest.gitCommit());
    }
  }
}
