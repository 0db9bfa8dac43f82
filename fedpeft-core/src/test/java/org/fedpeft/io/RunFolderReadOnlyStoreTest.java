package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review, 3 December: {@link RunFolder#refuses} counted every plain {@link FileSystemException} on
 * a read-only store as the user's refusal, so an I/O error while reading a model from a read-only
 * volume exited 2 as bad input. Only the failure a write gets there ({@code EROFS}) is one. A child
 * JVM runs in its own mount namespace ({@code unshare -m}) over a read-only tmpfs; where that
 * cannot be made (no {@code unshare}, no right to mount), the test is skipped.
 */
class RunFolderReadOnlyStoreTest {

  private static final long HANG_SECONDS = 120;

  @TempDir Path tmp;

  /** Prints what {@link RunFolder#refuses} says of failures on the read-only folder args[0]. */
  public static final class Probe {
    private Probe() {}

    public static void main(String[] args) {
      Path dir = Path.of(args[0]);
      String erofs;
      try {
        Files.createDirectory(dir.resolve("out"));
        erofs = "created";
      } catch (FileSystemException e) {
        erofs = String.valueOf(RunFolder.refuses(e));
      } catch (IOException e) {
        erofs = e.getClass().getSimpleName();
      }
      System.out.println("write " + erofs);
      System.out.println(
          "io "
              + RunFolder.refuses(
                  new FileSystemException(
                      dir.resolve("model.safetensors").toString(), null, "Input/output error")));
    }
  }

  @Test
  void onlyAWriteRefusalOnAReadOnlyStoreIsTheUsers() throws Exception {
    Path mount = Files.createDirectory(tmp.resolve("ro"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String script = "mount -t tmpfs -o ro tmpfs \"$1\" || exit 97; shift; exec \"$@\"";
    Process p;
    try {
      p =
          new ProcessBuilder(
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
                  "-cp",
                  System.getProperty("java.class.path"),
                  Probe.class.getName(),
                  mount.toString())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      assumeTrue(false, "unshare cannot be run here: " + e.getMessage());
      return;
    }
    assertTrue(p.waitFor(HANG_SECONDS, TimeUnit.SECONDS), "the probe did not end");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assumeTrue(
        p.exitValue() != 97 && !out.contains("unshare:"),
        "no read-only mount can be made here: " + out);
    assertEquals(0, p.exitValue(), out);
    assertEquals("write true\nio false\n", out);
  }
}
