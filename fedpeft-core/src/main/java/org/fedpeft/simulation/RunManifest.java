package org.fedpeft.simulation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Provenance helpers for run manifests. */
public final class RunManifest {
  private RunManifest() {}

  /**
   * The git commit of the working directory's repository, read from {@code .git} without running
   * git; "unknown" outside a repository.
   */
  public static String gitCommit() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path git = dir.resolve(".git");
      try {
        if (Files.isRegularFile(git)) { // a worktree: "gitdir: PATH"
          String ref = Files.readString(git).strip();
          if (ref.startsWith("gitdir:")) {
            git = dir.resolve(ref.substring(7).strip());
          }
        }
        if (Files.isDirectory(git)) {
          String head = Files.readString(git.resolve("HEAD")).strip();
          if (!head.startsWith("ref:")) {
            return head;
          }
          String ref = head.substring(4).strip();
          Path refFile = git.resolve(ref);
          Path common = git.resolve("commondir");
          if (!Files.isRegularFile(refFile) && Files.isRegularFile(common)) {
            refFile = git.resolve(Files.readString(common).strip()).resolve(ref);
          }
          if (Files.isRegularFile(refFile)) {
            return Files.readString(refFile).strip();
          }
          Path packed =
              Files.isRegularFile(common)
                  ? git.resolve(Files.readString(common).strip()).resolve("packed-refs")
                  : git.resolve("packed-refs");
          if (Files.isRegularFile(packed)) {
            for (String line : Files.readAllLines(packed)) {
              if (line.endsWith(" " + ref)) {
                return line.substring(0, line.indexOf(' '));
              }
            }
          }
          return "unknown";
        }
      } catch (IOException e) {
        return "unknown";
      }
      dir = dir.getParent();
    }
    return "unknown";
  }
}
