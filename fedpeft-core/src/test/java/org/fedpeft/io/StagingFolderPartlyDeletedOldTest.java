package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA review, 3 December: {@link StagingFolder#commitReplacing} deleted the old folder under its
 * set-aside name {@code .NAME.tmp-PID-K.old}, so a process killed while deleting it (or one whose
 * delete failed) left a partly deleted folder under the name that the next staging puts back when
 * {@code NAME} is missing: once the new folder was gone (removed by the user, or set aside by a
 * writer replacing it), a folder with only some of the old files became {@code NAME}. The old
 * folder is now deleted under the staging folder's name, which is never put back.
 *
 * <p>A delete that fails part way stands for the kill: a file made immutable ({@code chattr +i},
 * which even root cannot delete) stops it after the deeper files are gone.
 */
class StagingFolderPartlyDeletedOldTest {

  /** Only to detect a hang. */
  private static final long HANG_SECONDS = 60;

  @TempDir Path tmp;

  private static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    }
  }

  private static boolean chattr(String flag, Path file) throws Exception {
    Process p;
    try {
      p =
          new ProcessBuilder("chattr", flag, file.toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      return false; // no chattr here
    }
    if (!p.waitFor(HANG_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return false;
    }
    return p.exitValue() == 0;
  }

  @Test
  void aPartlyDeletedOldFolderIsNeverPutBack() throws Exception {
    Path target = tmp.resolve("adapter");
    AtomicFiles.writeFolder(
        target,
        d -> {
          Files.createDirectories(d.resolve("deep/deeper"));
          Files.writeString(d.resolve("deep/deeper/gone.txt"), "old");
          Files.createDirectories(d.resolve("keep"));
          Files.writeString(d.resolve("keep/stuck.txt"), "old");
        });
    assumeTrue(
        chattr("+i", target.resolve("keep/stuck.txt")),
        "chattr +i is not available here (needs root and a file system with the flag)");
    try {
      assertThrows(
          IOException.class,
          () ->
              AtomicFiles.writeFolder(target, d -> Files.writeString(d.resolve("new.txt"), "new")));
    } finally {
      try (Stream<Path> all = Files.walk(tmp)) {
        for (Path p : all.filter(p -> p.endsWith("stuck.txt")).toList()) {
          chattr("-i", p);
        }
      }
    }
    assertEquals(List.of("new"), Files.readAllLines(target.resolve("new.txt")));
    // The new folder goes (as a user removes it, or a writer sets it aside to replace it).
    AtomicFiles.deleteTree(target);
    List<String> notices = new ArrayList<>();
    StagingFolder.create(target, notices::add).close();
    assertFalse(Files.exists(target), "a partly deleted old folder was put back: " + notices);
    assertEquals(Set.of(), names(tmp), notices.toString());
  }
}
