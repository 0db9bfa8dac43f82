package org.fedpeft.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a process that died while writing a folder through a {@link StagingFolder} leaves beside it,
 * planted by tests: its staging folder {@code .NAME.tmp-PID-K}, the lock file {@code
 * .NAME.tmp-PID-K.lock} holding its process id, and, where it died between the two renames of a
 * replacement, the old folder set aside as {@code .NAME.tmp-PID-K.old}. The process is {@link
 * #PID}, which no system gives out, so the leftovers are always a dead process's.
 */
public final class DeadWriter {

  /** A process id no system gives out (above every pid_max). */
  public static final long PID = Integer.MAX_VALUE;

  private DeadWriter() {}

  /** The name of the dead process's staging folder number {@code k} for {@code target}. */
  public static String stagingName(Path target, int k) {
    return AtomicFiles.siblingPrefix(target.getFileName()) + "tmp-" + PID + "-" + k;
  }

  /**
   * Plants the dead process's (empty) staging folder number {@code k} beside {@code target} and its
   * lock file, and returns the folder.
   */
  public static Path plantStaging(Path target, int k) throws IOException {
    Path dir = Files.createDirectory(target.resolveSibling(stagingName(target, k)));
    Files.writeString(dir.resolveSibling(dir.getFileName() + ".lock"), PID + "\n");
    return dir;
  }

  /**
   * Plants what the dead process leaves when it dies between the renames of replacing {@code
   * target}: its staging folder number 0 and lock file ({@link #plantStaging}), and the old folder
   * set aside, holding {@code file} with {@code content}; returns the set-aside folder.
   */
  public static Path plantSetAside(Path target, String file, String content) throws IOException {
    Path dir = plantStaging(target, 0);
    Path aside = Files.createDirectory(dir.resolveSibling(dir.getFileName() + ".old"));
    Files.writeString(aside.resolve(file), content);
    return aside;
  }

  /** The names of what {@code dir} holds, sorted. */
  public static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    }
  }
}
