package org.fedpeft.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A hidden sibling folder {@code .NAME.tmp-PID-K} in which a folder {@code NAME} is built before it
 * is renamed into place: the one mechanism behind {@link AtomicFiles#writeFolder} (adapter folders)
 * and {@code fedpeft tasks export}. {@code NAME} is cut as {@link AtomicFiles#siblingPrefix} cuts
 * it, so that a long name still leaves room for the suffix.
 *
 * <p>Beside it lies the lock file {@code .NAME.tmp-PID-K.lock}, created before the folder and
 * removed after it, which the process holds locked ({@link FileChannel#tryLock()}) for as long as
 * it uses the folder; the operating system drops the lock when the process dies, even after {@code
 * kill -9}. While {@link #commitReplacing} replaces an existing {@code NAME}, the old folder lies
 * under {@code .NAME.tmp-PID-K.old}, covered by the same lock file, until it is renamed back to the
 * free staging folder name to be deleted: a folder under the {@code .old} name is always complete.
 * The target's missing parent folders are created first. The folder is created like any folder
 * (with the user's usual permissions, unlike {@link Files#createTempDirectory}).
 *
 * <p>Whatever happens before {@link #commit} succeeds, nothing is left: {@link #close} (also after
 * a failure) and a shutdown hook (Ctrl-C, SIGTERM) delete the folder, the lock file and the parent
 * folders this staging created (those still empty); a staging created while the process is already
 * shutting down (from a shutdown hook) has no hook of its own. A process killed outright leaves its
 * folder (and a set-aside old folder) and lock file behind; the next staging for the same {@code
 * NAME} (or one whose name is cut to the same start) deletes them, naming each to its notice
 * consumer. A set-aside old folder is deleted only if {@code NAME} exists; if it does not (the
 * process died between {@link #commitReplacing}'s two renames), the old folder is renamed back to
 * {@code NAME} before the new staging folder is made, and named too, so that a write that then
 * fails still leaves the old folder in place. Where a longer name may be cut to {@code NAME}'s
 * start ({@link AtomicFiles#siblingPrefix}: a {@code NAME} of over 116 bytes), a set-aside old
 * folder may be another target's: it is kept with its lock file, and named. All this happens only
 * where the process id in the name is not running here (or is this process's own, on a lock file
 * this process does not hold: left by an earlier process under the same id, as in containers), the
 * lock is free and the lock file holds that id (written once the lock is taken): never the folder
 * of a live writer, in this process or another, also not one on a shared file system whose process
 * runs elsewhere (it holds the lock). So several writers of the same target never delete each
 * other's folders; their renames into place are not serialised, though: of commits one after the
 * other the last wins, and of two whose renames interleave one may fail (the other's folder is then
 * in place). A leftover {@code .NAME.tmp-PID-K} without a lock file is left alone; like every
 * leftover it is a hidden sibling that no command reads. The leftovers {@code .NAME.<hex>.tmp} and
 * {@code .NAME.<hex>.old} of the folder writes of older fedpeft versions, which took no lock and
 * assumed one writer per target (a locked {@link RunFolder}), are deleted as those versions deleted
 * them.
 */
public final class StagingFolder implements AutoCloseable {

  private static final int MAX_ATTEMPTS = 1000;

  /** A folder being emptied while its command may still write into it: bounded retries. */
  private static final int DELETE_ATTEMPTS = 100;

  private final Path target;

  /**
   * The lock files this process has created and still holds, by {@link #identity} (the file, not
   * the path: a folder may be reached by several paths, through symbolic links): only these of the
   * lock files named with this process's id belong to a live staging; the others were left by an
   * earlier process that had the same id (as in containers, where every run may get the same one).
   * Guarded by itself: creating a lock file and adding it, removing one and deleting its file, and
   * the cleanup's check and use of a lock file named with this process's id happen under its
   * monitor, so the cleanup never opens a lock file that a staging of this process holds.
   */
  private static final Set<Object> HELD = new HashSet<>();

  private final Path path;
  private final Path aside;
  private final Path lockFile;
  private final Object heldKey; // lockFile's entry in HELD
  private final FileChannel channel;
  private final List<Path> createdParents; // deepest first
  private final Thread hook; // null if created while the process shut down
  private boolean committed;
  private boolean discarded;

  private StagingFolder(
      Path target,
      Path path,
      Path lockFile,
      Object heldKey,
      FileChannel channel,
      List<Path> createdParents) {
    this.target = target;
    this.path = path;
    this.aside = asideOf(path);
    this.lockFile = lockFile;
    this.heldKey = heldKey;
    this.channel = channel;
    this.createdParents = createdParents;
    // None when the process is already shutting down (a folder written from a shutdown hook):
    // should the process end before it is closed, the next staging for the target deletes it.
    Thread cleanup = new Thread(this::discardQuietly, "fedpeft-staging-cleanup");
    this.hook = ShutdownHooks.add(cleanup) ? cleanup : null;
  }

  /**
   * A new staging folder for {@code target}, after creating {@code target}'s missing parent folders
   * and deleting the leftovers of dead processes for the same target.
   *
   * @param target the folder the staging folder will become
   * @param notices receives one line for each leftover deleted ({@code "removed DIR, left by
   *     process PID, which did not finish"}), renamed back ({@code "restored TARGET from DIR.old,
   *     where process PID had set it aside before it stopped"}) or kept (a set-aside folder that
   *     may be another name's, cut)
   * @throws IOException if a parent folder or the staging folder cannot be created; the parent
   *     folders created here are removed again. Where the staging folder or its lock file is
   *     refused (permission, a read-only file system), the exception names {@code target}, not that
   *     hidden file
   */
  public static StagingFolder create(Path target, Consumer<String> notices) throws IOException {
    Objects.requireNonNull(notices, "notices");
    Path absolute = target.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    Path name = absolute.getFileName();
    if (parent == null || name == null) {
      throw new IllegalArgumentException("not a folder path: " + target);
    }
    List<Path> missing = AtomicFiles.missingAncestors(absolute);
    FileChannel channel = null;
    Path lockFile = null;
    Object heldKey = null;
    Path dir = null;
    try {
      Files.createDirectories(parent);
      deleteLeftovers(parent, name, notices);
      String prefix = AtomicFiles.siblingPrefix(name) + "tmp-";
      long pid = ProcessHandle.current().pid();
      for (int k = 0; ; k++) {
        Path candidate = parent.resolve(prefix + pid + "-" + k);
        Path lock = lockFileOf(candidate);
        synchronized (HELD) {
          try {
            channel =
                FileChannel.open(lock, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          } catch (FileAlreadyExistsException e) {
            if (k >= MAX_ATTEMPTS) {
              throw e;
            }
            continue;
          } catch (FileSystemException e) {
            throw refusalOf(absolute, e);
          }
          lockFile = lock;
          FileLock held = channel.tryLock(); // a new file: nobody else holds it
          if (held == null) {
            throw new IOException(lock + ": cannot lock the new file");
          }
          heldKey = identity(lock);
          HELD.add(heldKey);
        }
        channel.write(ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.UTF_8)));
        try {
          if (Files.exists(asideOf(candidate), LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(asideOf(candidate).toString());
          }
          Files.createDirectory(candidate);
        } catch (FileAlreadyExistsException e) {
          // Left by an older fedpeft under a reused id, or a killed cleanup: try the next name.
          release(channel, heldKey, lock, true);
          channel = null;
          lockFile = null;
          heldKey = null;
          if (k >= MAX_ATTEMPTS) {
            throw e;
          }
          continue;
        } catch (FileSystemException e) {
          throw refusalOf(absolute, e);
        }
        dir = candidate;
        return new StagingFolder(absolute, dir, lock, heldKey, channel, missing);
      }
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        try {
          if (dir != null) {
            Files.deleteIfExists(dir);
          }
          release(channel, heldKey, lockFile, true);
        } catch (IOException | RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      AtomicFiles.deleteEmptyFolders(missing, e);
      throw e;
    }
  }

  /**
   * {@code e}, the file system's refusal to create the staging folder or its lock file, as a
   * refusal of {@code target}: the user never named those hidden siblings, and what refuses them
   * (the parent folder's permissions, a read-only file system) refuses the target alike. An {@link
   * AccessDeniedException} or a plain {@link FileSystemException} becomes one of the same kind and
   * reason naming {@code target}, with {@code e} as its cause; any other kind (the parent folder
   * gone, say) is returned as it is.
   */
  private static FileSystemException refusalOf(Path target, FileSystemException e) {
    FileSystemException refusal;
    if (e instanceof AccessDeniedException) {
      refusal = new AccessDeniedException(target.toString(), null, e.getReason());
    } else if (e.getClass() == FileSystemException.class) {
      refusal = new FileSystemException(target.toString(), null, e.getReason());
    } else {
      return e;
    }
    refusal.initCause(e);
    return refusal;
  }

  /** The staging folder, to write into. */
  public Path path() {
    return path;
  }

  /**
   * Fsyncs every file and folder in the staging folder, then runs {@code move}, which renames the
   * staging folder into place, unless the process is being interrupted (the shutdown hook has begun
   * deleting it); then fsyncs the parent folder. Afterwards the staging folder is not deleted.
   *
   * @throws IOException if a file cannot be synced or {@code move} fails, or the folder is already
   *     being discarded
   */
  public void commit(IOConsumer<Path> move) throws IOException {
    synchronized (this) {
      if (discarded) {
        throw new IOException(path + ": interrupted, the staging folder is being deleted");
      }
      syncTree(path);
      move.accept(path);
      committed = true;
    }
    AtomicFiles.fsyncDirectory(path.getParent());
  }

  /**
   * Commits by replacing the target folder, or creating it: all of the new folder or the old one,
   * never a mix of their files. Java cannot swap two folders in one step, so an existing target is
   * first renamed aside to {@code .NAME.tmp-PID-K.old}, the staging folder renamed into place, and
   * only then the old one deleted, after a rename to the staging folder's name (now free), so that
   * a folder under the {@code .old} name is always complete. A crash therefore leaves either the
   * old folder complete under its name, or the new one complete under its name, or (between the two
   * renames) no target and the complete old folder beside it under the {@code .old} name, which the
   * next staging for the target renames back to the target before it writes (see the class
   * description); an old folder partly deleted is left under the staging folder's name, and deleted
   * as its leftover. If the second rename fails, the old folder is renamed back.
   *
   * @throws IOException if a rename fails (the target is then as it was, unless renaming the old
   *     folder back failed too: then the next staging for the target after this process ends
   *     renames it back), or the old folder cannot be deleted (the new one is then in place; the
   *     old one is deleted by the next staging for the target after this process ends)
   */
  public void commitReplacing() throws IOException {
    commit(
        staged -> {
          boolean replacing = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
          if (replacing) {
            Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
          }
          try {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
          } catch (IOException | RuntimeException e) {
            if (replacing) {
              try {
                Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
              } catch (IOException | RuntimeException undo) {
                e.addSuppressed(undo);
              }
            }
            throw e;
          }
        });
    deleteAside(aside, path);
  }

  /**
   * Deletes the set-aside old folder {@code aside} of a finished replace under {@code free}, the
   * name of its staging folder, which is not in use (moved into place, or deleted first): renamed
   * there in one step, so that a folder under a {@code .old} name is always complete, and one cut
   * short while it is deleted (a kill, a file that cannot be deleted) is a staging folder's
   * leftover, deleted, never put back under the target's name. Nothing happens without {@code
   * aside}.
   */
  private static void deleteAside(Path aside, Path free) throws IOException {
    if (Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) {
      Files.move(aside, free, StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.deleteTree(free);
    }
  }

  /**
   * Deletes what {@link #commit} did not move into place (the staging folder and the parent folders
   * created for it), removes the lock file and releases the lock. The lock file stays while a
   * folder it covers is left (one that could not be deleted, or an old folder set aside), so that
   * the next staging for the target deletes them once this process has ended.
   */
  @Override
  public void close() throws IOException {
    if (hook != null && !ShutdownHooks.remove(hook)) {
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
    boolean folderLeft =
        failure != null
            || Files.exists(path, LinkOption.NOFOLLOW_LINKS) // an old folder partly deleted there
            || Files.exists(aside, LinkOption.NOFOLLOW_LINKS);
    try {
      // The lock file is kept with a folder it covers, so that a later staging deletes both.
      release(channel, heldKey, lockFile, !folderLeft);
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
   * Closes {@code channel} (which releases the lock), takes {@code key} out of {@link #HELD} and,
   * if {@code delete}, deletes {@code lockFile}, in one step for the cleanup of this process's
   * leftovers: once released, the file may be opened and deleted by it, so it must not be deleted
   * here after another staging has created a file of the same name.
   */
  private static void release(FileChannel channel, Object key, Path lockFile, boolean delete)
      throws IOException {
    synchronized (HELD) {
      try {
        channel.close();
      } finally {
        if (key != null) {
          HELD.remove(key);
        }
      }
      if (delete) {
        Files.deleteIfExists(lockFile);
      }
    }
  }

  /**
   * What identifies the file {@code lock} in {@link #HELD}: its file key (on POSIX systems device
   * and inode, the same by every path that reaches it), or its real path where the file system has
   * none.
   */
  private static Object identity(Path lock) throws IOException {
    Object key =
        Files.readAttributes(lock, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    return key != null ? key : lock.toRealPath();
  }

  /** Fsyncs every regular file and folder under {@code root}; symbolic links are not followed. */
  private static void syncTree(Path root) throws IOException {
    try (Stream<Path> entries = Files.walk(root)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.force(true);
          }
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          AtomicFiles.fsyncDirectory(p);
        }
      }
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

  private static Path asideOf(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".old");
  }

  /**
   * Deletes the staging folders {@code parent/.NAME.tmp-<pid>-<k>} (with their lock files) left by
   * processes that died, and puts back or deletes their set-aside old folders ({@link
   * #deleteLeftover}): the process id in the name is not running here (or is this process's own on
   * a lock file it does not hold), and the lock file is free and holds that id. Also deletes the
   * folders {@code .NAME.<hex>.tmp} and {@code .NAME.<hex>.old} of older fedpeft versions.
   */
  private static void deleteLeftovers(Path parent, Path target, Consumer<String> notices)
      throws IOException {
    String base = AtomicFiles.siblingPrefix(target);
    Pattern name = Pattern.compile(Pattern.quote(base + "tmp-") + "(\\d{1,18})-\\d{1,9}\\.lock");
    Pattern older = Pattern.compile(Pattern.quote(base) + "[0-9a-f]{1,16}\\.(?:tmp|old)");
    List<Path> locks = new ArrayList<>();
    List<Path> olderFolders = new ArrayList<>();
    try (DirectoryStream<Path> entries =
        Files.newDirectoryStream(
            parent,
            p -> {
              String n = p.getFileName().toString();
              return name.matcher(n).matches() || older.matcher(n).matches();
            })) {
      for (Path p : entries) {
        (name.matcher(p.getFileName().toString()).matches() ? locks : olderFolders).add(p);
      }
    }
    for (Path dir : olderFolders) {
      if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        try {
          AtomicFiles.deleteTree(dir);
          notices.accept("removed " + dir + ", left by a folder write that did not finish");
        } catch (IOException e) {
          // Never read: left where it was, as below.
        }
      }
    }
    // Where a longer name may be cut to the same start, these leftovers may be another folder's:
    // a set-aside folder is only put back under its own name.
    Path whole = AtomicFiles.siblingPrefixIsOwn(target) ? parent.resolve(target) : null;
    long self = ProcessHandle.current().pid();
    for (Path lock : locks) {
      Matcher m = name.matcher(lock.getFileName().toString());
      if (!m.matches()) {
        continue;
      }
      long pid = Long.parseLong(m.group(1));
      // A live staging of this process, another live process or a new process under a reused id:
      // its lock file is never opened, as on POSIX systems closing any descriptor of a file drops
      // every lock the process holds on it. A lock file with this process's id that it does not
      // hold was left by an earlier process under the same id, and is checked like any other.
      if (pid != self) {
        if (!ProcessHandle.of(pid).isPresent()) {
          deleteLeftover(parent, lock, pid, whole, notices);
        }
        continue;
      }
      synchronized (HELD) { // no staging of this process takes or lets go of a lock meanwhile
        try {
          if (HELD.contains(identity(lock))) {
            continue;
          }
        } catch (IOException e) {
          continue; // deleted meanwhile, or unreadable: left where it was
        }
        deleteLeftover(parent, lock, pid, whole, notices);
      }
    }
  }

  /**
   * Cleans up after the dead process of {@code lock}, if the lock is free and the file holds {@code
   * pid}: its set-aside old folder is renamed back to {@code target} if that is missing (the
   * process died between {@link #commitReplacing}'s two renames), else deleted; then its staging
   * folder and {@code lock} are deleted. Where {@code target} is null (a longer name may be cut to
   * the same start, so the old folder may be another target's), a set-aside old folder is kept with
   * the rest, and named. A leftover that cannot be deleted or renamed back is left where it was (it
   * is never read).
   */
  private static void deleteLeftover(
      Path parent, Path lock, long pid, Path target, Consumer<String> notices) {
    String leftover = lock.getFileName().toString();
    Path dir = parent.resolve(leftover.substring(0, leftover.length() - ".lock".length()));
    Path aside = asideOf(dir);
    try {
      try (FileChannel ch =
              FileChannel.open(lock, StandardOpenOption.READ, StandardOpenOption.WRITE);
          FileLock held = ch.tryLock()) {
        if (held == null || !holdsId(ch, pid)) {
          return; // held by a process elsewhere, or its owner is still writing its id
        }
        if (Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) {
          if (target == null) {
            notices.accept(
                "kept "
                    + aside
                    + ", a folder set aside by process "
                    + pid
                    + ", which did not finish replacing it: its name may be a longer name's, cut,"
                    + " so which folder it was is not known");
            return;
          }
          if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            AtomicFiles.deleteTree(dir);
            deleteAside(aside, dir);
          } else {
            Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
            notices.accept(
                "restored "
                    + target
                    + " from "
                    + aside
                    + ", where process "
                    + pid
                    + " had set it aside before it stopped");
          }
        }
        AtomicFiles.deleteTree(dir);
      }
      Files.deleteIfExists(lock); // after the release: Windows deletes no file open here
      notices.accept("removed " + dir + ", left by process " + pid + ", which did not finish");
    } catch (NoSuchFileException | OverlappingFileLockException e) {
      // Deleted meanwhile by another cleanup.
    } catch (IOException e) {
      // A leftover that cannot be deleted is only left where it was: it is never read.
    }
  }
}
