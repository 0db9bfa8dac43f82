package org.fedpeft.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.IOConsumer;

/**
 * A hidden sibling folder {@code .NAME.tmp-PID-K} in which a command builds the folder {@code NAME}
 * before renaming it into place ({@code NAME} cut as {@link AtomicFiles#siblingPrefix} cuts it, so
 * that a long name still leaves room for the suffix).
 *
 * <p>Beside it lies the lock file {@code .NAME.tmp-PID-K.lock}, created before the folder and
 * removed after it, which the process holds locked ({@link FileChannel#tryLock()}) for as long as
 * it uses the folder; the operating system drops the lock when the process dies, even after {@code
 * kill -9}. The command's missing parent folders are created first. The folder is created like any
 * folder (with the user's usual permissions, unlike {@link Files#createTempDirectory}).
 *
 * <p>Whatever happens before {@link #commit} succeeds, nothing is left: {@link #close} (also after
 * a failure) and a shutdown hook (Ctrl-C, SIGTERM) delete the folder, the lock file and the parent
 * folders this staging created (those still empty). A process killed outright leaves its folder and
 * lock file behind; the next staging for the same {@code NAME} (or one whose name is cut to the
 * same start) deletes them, noting it on standard error, but only where the process id in the name
 * is not running here, the lock is free and the lock file holds that id (written once the lock is
 * taken): never the folder of a live process, also not one on a shared file system whose process
 * runs elsewhere (it holds the lock). A leftover without a lock file (written by an older fedpeft)
 * is left alone; like every leftover it is a hidden sibling that no command reads.
 */
final class StagingFolder implements AutoCloseable {

  private static final int MAX_ATTEMPTS = 1000;

  /** A folder being emptied while its command may still write into it: bounded retries. */
  private static final int DELETE_ATTEMPTS = 100;

  private final Path path;
  private final Path lockFile;
  private final FileChannel channel;
  private final List<Path> createdParents; // deepest first
  private final Thread hook;
  private boolean committed;
  private boolean discarded;

  private StagingFolder(Path path, Path lockFile, FileChannel channel, List<Path> createdParents) {
    this.path = path;
    this.lockFile = lockFile;
    this.channel = channel;
    this.createdParents = createdParents;
    this.hook = new Thread(this::discardQuietly, "fedpeft-staging-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * A new staging folder for {@code target}, after creating {@code target}'s missing parent folders
   * and deleting the leftovers of dead processes for the same target (each named on {@code err}).
   *
   * @param target the folder the staging folder will become (absolute, normalised)
   * @throws IOException if a parent folder or the staging folder cannot be created; the parent
   *     folders created here are removed again
   */
  static StagingFolder create(Path target, PrintWriter err) throws IOException {
    Path parent = target.getParent();
    List<Path> missing = AtomicFiles.missingAncestors(target);
    FileChannel channel = null;
    Path lockFile = null;
    try {
      Files.createDirectories(parent);
      String prefix = AtomicFiles.siblingPrefix(target.getFileName()) + "tmp-";
      deleteLeftovers(parent, prefix, err);
      long pid = ProcessHandle.current().pid();
      for (int k = 0; ; k++) {
        Path dir = parent.resolve(prefix + pid + "-" + k);
        Path lock = lockFileOf(dir);
        try {
          channel = FileChannel.open(lock, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
          if (k >= MAX_ATTEMPTS) {
            throw e;
          }
          continue;
        }
        lockFile = lock;
        FileLock held = channel.tryLock(); // a new file: nobody else holds it
        if (held == null) {
          throw new IOException(lock + ": cannot lock the new file");
        }
        channel.write(ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.UTF_8)));
        try {
          Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
          // Left by an older fedpeft under a reused id, or a killed cleanup: try the next name.
          channel.close(); // releases the lock
          Files.deleteIfExists(lock);
          channel = null;
          lockFile = null;
          if (k >= MAX_ATTEMPTS) {
            throw e;
          }
          continue;
        }
        return new StagingFolder(dir, lock, channel, missing);
      }
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        try {
          channel.close(); // releases the lock
          Files.deleteIfExists(lockFile);
        } catch (IOException | RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      AtomicFiles.deleteEmptyFolders(missing, e);
      throw e;
    }
  }

  /** The staging folder, to write into. */
  Path path() {
    return path;
  }

  /**
   * Runs {@code move}, which renames the staging folder into place, unless the process is being
   * interrupted (the shutdown hook has begun deleting it); afterwards nothing is deleted.
   *
   * @throws IOException if {@code move} fails, or the folder is already being discarded
   */
  void commit(IOConsumer<Path> move) throws IOException {
    synchronized (this) {
      if (discarded) {
        throw new IOException(path + ": interrupted, the staging folder is being deleted");
      }
      move.accept(path);
      committed = true;
    }
  }

  /**
   * Deletes what {@link #commit} did not move into place (the staging folder and the parent folders
   * created for it), removes the lock file and releases the lock.
   */
  @Override
  public void close() throws IOException {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      return; // shutting down: the hook deletes the folder
    }
    discard();
  }

  private void discardQuietly() {
    try {
      discard();
    } catch (IOException | RuntimeException e) {
      // The process is ending; the next staging for this target deletes what is left.
    }
  }

  private void discard() throws IOException {
    synchronized (this) {
      if (discarded) {
        return;
      }
      discarded = true;
    }
    IOException failure = null;
    if (!committed) {
      try {
        deleteWhileWritten(path);
      } catch (IOException e) {
        failure = e;
      }
    }
    try {
      channel.close(); // releases the lock
      if (failure == null) {
        Files.deleteIfExists(lockFile); // kept if the folder is, so the next run can delete both
      }
    } catch (IOException e) {
      if (!committed && failure == null) {
        failure = e;
      } // committed: the folder is in place; the next staging deletes a lock file left here
    }
    if (!committed && failure == null) {
      AtomicFiles.deleteEmptyFolders(createdParents, null);
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Deletes {@code dir}, which the command may still be writing into when a shutdown hook runs: a
   * file created while the folder is emptied makes the last step fail, so it starts again.
   */
  private static void deleteWhileWritten(Path dir) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        AtomicFiles.deleteTree(dir);
        return;
      } catch (DirectoryNotEmptyException | NoSuchFileException e) {
        if (attempt >= DELETE_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** Whether the lock file open as {@code ch} holds {@code pid}, read through {@code ch} itself. */
  private static boolean holdsId(FileChannel ch, long pid) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(64); // an id and a line break are far fewer bytes
    int read;
    do {
      read = ch.read(buffer, buffer.position());
    } while (read > 0 && buffer.hasRemaining());
    String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    return text.strip().equals(Long.toString(pid));
  }

  private static Path lockFileOf(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".lock");
  }

  /**
   * Deletes the staging folders {@code parent/PREFIX<pid>-<k>} (and their lock files) left by
   * processes that died: the process id in the name is not running here, and the lock file is free
   * and holds that id.
   */
  private static void deleteLeftovers(Path parent, String prefix, PrintWriter err)
      throws IOException {
    Pattern name = Pattern.compile(Pattern.quote(prefix) + "(\\d{1,18})-\\d{1,9}\\.lock");
    List<Path> locks = new ArrayList<>();
    try (DirectoryStream<Path> entries =
        Files.newDirectoryStream(parent, p -> name.matcher(p.getFileName().toString()).matches())) {
      entries.forEach(locks::add);
    }
    for (Path lock : locks) {
      Matcher m = name.matcher(lock.getFileName().toString());
      if (!m.matches()) {
        continue;
      }
      long pid = Long.parseLong(m.group(1));
      if (ProcessHandle.of(pid).isPresent()) {
        // Alive (this process included), or a new process under a reused id: never opened, as on
        // POSIX systems closing any descriptor of a file drops every lock the process holds on it.
        continue;
      }
      String leftover = lock.getFileName().toString();
      Path dir = parent.resolve(leftover.substring(0, leftover.length() - ".lock".length()));
      try {
        try (FileChannel ch =
                FileChannel.open(lock, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock held = ch.tryLock()) {
          if (held == null || !holdsId(ch, pid)) {
            continue; // held by a process elsewhere, or its owner is still writing its id
          }
          AtomicFiles.deleteTree(dir);
        }
        Files.deleteIfExists(lock); // after the release: Windows deletes no file open here
        err.println("removed " + dir + ", left by process " + pid + ", which did not finish");
        err.flush();
      } catch (NoSuchFileException | OverlappingFileLockException e) {
        // Deleted meanwhile by another cleanup.
      } catch (IOException e) {
        // A leftover that cannot be deleted is only left where it was: it is never read.
      }
    }
  }
}
