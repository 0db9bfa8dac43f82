package org.fedpeft.run;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.regex.Pattern;

/** Provenance helpers for run manifests. */
public final class RunManifest {
  private RunManifest() {}

  /** The resource the Maven build writes (fedpeft-core/src/main/build-info). */
  static final String BUILD_INFO = "/org/fedpeft/build-info.properties";

  /** What a stamped commit looks like: a full SHA-1, "+dirty" when the sources had changes. */
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}(\\+dirty)?");

  private static final String COMMIT_OF_THIS_BUILD = read();

  /**
   * The git commit of the fedpeft build this code belongs to, stamped into its jar when it was
   * built (the ./fedpeft launcher hands the build its checkout's commit, see
   * fedpeft-cli/src/main/sh/git-commit.sh): 40 hex digits, followed by "+dirty" when the build's
   * sources had uncommitted changes; "unknown" for a build that was given no commit (plain {@code
   * mvn package}, a source tarball). Never the repository of the working directory, which may be
   * any other.
   */
  public static String gitCommit() {
    return COMMIT_OF_THIS_BUILD;
  }

  /**
   * The stamped commit in build-info text {@code in} (null: no such resource); "unknown" unless it
   * has the form of a commit (an unfiltered placeholder, say).
   */
  static String commitOf(InputStream in) throws IOException {
    if (in == null) {
      return "unknown";
    }
    Properties p = new Properties();
    p.load(in);
    String c = p.getProperty("git.commit", "").strip();
    return COMMIT.matcher(c).matches() ? c : "unknown";
  }

  private static String read() {
    try (InputStream in = RunManifest.class.getResourceAsStream(BUILD_INFO)) {
      return commitOf(in);
    } catch (IOException | IllegalArgumentException e) {
      return "unknown";
    }
  }
}
