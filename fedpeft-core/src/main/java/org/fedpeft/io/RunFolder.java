package org.fedpeft.io;

import com.google.gson.JsonObject;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The output folder of one run, owned by one process for the run's life.
 *
 * <p>Ownership is an exclusive lock ({@link FileChannel#tryLock()}) on the file {@value #LOCK_FILE}
 * in the folder, held until {@link #close()} or the end of the process (the operating system
 * releases it when the process dies, even after {@code kill -9}). The lock file also records which
 * command wrote the folder, the process id and the start time as JSON; it is left in place after
 * the run, so a later command can tell whose output the folder holds.
 *
 * <p>A new run ({@link #createNew}) gets a folder that is new or empty. A folder holding a fedpeft
 * run (its own command's or another's) is refused unless {@code force} is given; it is then
 * replaced whole: a fresh sibling folder is created and locked, the old folder is renamed aside (a
 * hidden sibling {@code .NAME.replaced-*}) and the fresh one renamed into its place, so no file of
 * the old run ever sits next to a file of the new one. The old folder is deleted only when the new
 * run closes normally ({@link #close}); if its process dies first (SIGKILL), the old run stays in
 * the hidden sibling, which a later command on the folder names ({@link #leftoverReplacedRuns}) and
 * never deletes (a fresh sibling {@code .NAME.new-*} left by a run killed before renaming it into
 * place is named too, and removed if it holds nothing but its empty lock file, {@link
 * #clearLeftoverStaging}); a new run that fails before it has started ({@link #abandon}: bad input,
 * say) leaves everything as it was: the replaced folder comes back, and a folder it created, or
 * found empty, is emptied or removed again. A non-empty folder that holds no fedpeft run is always
 * refused (force never deletes a user's own files). {@link #reopen} takes an existing run folder of
 * the same command for {@code --resume}. Within one process a folder can be held once; a second
 * attempt is refused like one from another process.
 */
public final class RunFolder implements AutoCloseable {

  /** The lock and owner file inside every run folder. */
  public static final String LOCK_FILE = ".fedpeft.lock";

  /**
   * Folders held by this process, with the command holding each. The lock file of a held folder is
   * never opened through another descriptor here: on POSIX systems closing any descriptor of a file
   * drops every lock the process holds on it.
   */
  private static final Map<Path, String> HELD_HERE = new ConcurrentHashMap<>();

  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

  /**
   * The lock file's {@code started}: UTC to the millisecond, always the same width ({@link
   * Instant#toString} drops trailing zero digits, so the lock file's size changed with the clock).
   */
  static final DateTimeFormatter STARTED =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final int MAX_ATTEMPTS = 100;

  /**
   * Tests only: a failure that the owner record's write of a folder that has just replaced another
   * ({@link #replaceWhole}) throws, as a full disk would make it fail; null, always outside tests,
   * for none.
   */
  static volatile IOException replacementOwnerFailure;

  /**
   * Tests only: asked, at each step of {@link #replaceWhole} up to writing the owner record, with
   * the step's name ({@code "aside"}: renaming the old run aside; {@code "move"}: renaming the
   * fresh folder into place; {@code "release"}: releasing the old folder's lock; {@code "key"}:
   * resolving the folder's real path), and when it puts the old run back after a failure ({@code
   * "back"}: renaming it back, {@link #putBack}), for a failure to throw instead of the step, as a
   * file system refusing it would (null: none); null, always outside tests, for none.
   */
  static volatile Function<String, IOException> replacementStepFailure;

  /** The longest name, in bytes, that Linux's file systems take (ext4, XFS, Btrfs, tmpfs). */
  private static final int NAME_MAX = 255;

  private final Path path;
  private final Path key;
  private final FileChannel channel;
  private final FileLock lock;
  private boolean created;

  /** The parent folders {@link #createNew} created for this folder, deepest first. */
  private List<Path> createdParents = List.of();

  private boolean fresh; // a new run's folder: created, found empty, or replacing another
  private Path replaced; // the folder this run replaces, renamed aside until close
  private boolean closed;

  private RunFolder(Path path, Path key, FileChannel channel, FileLock lock) {
    this.path = path;
    this.key = key;
    this.channel = channel;
    this.lock = lock;
  }

  /** The folder. */
  public Path path() {
    return path;
  }

  /**
   * A new folder {@code parent/<command>-<yyyyMMdd-HHmmss-SSS>-p<pid>}, created with {@link
   * Files#createDirectory} (atomic: two processes never get the same one; a name already taken gets
   * a {@code -2}, {@code -3}, ... suffix), and locked.
   */
  public static RunFolder createDefault(Path parent, String command) throws IOException {
    Files.createDirectories(parent);
    String base =
        command + "-" + LocalDateTime.now().format(STAMP) + "-p" + ProcessHandle.current().pid();
    for (int i = 1; i <= MAX_ATTEMPTS; i++) {
      Path dir = parent.resolve(i == 1 ? base : base + "-" + i);
      try {
        Files.createDirectory(dir);
      } catch (FileAlreadyExistsException e) {
        continue;
      }
      RunFolder f = claim(dir, command, false);
      f.created = true;
      return f;
    }
    throw new IOException(parent + ": could not create a new run folder named " + base + "-N");
  }

  /**
   * The message for an output folder {@code dir}, given as {@code option}, that the file system
   * refused to create (or to create something in): {@code DIR: cannot create the output folder
   * ([FILE: ]REASON); choose another OPTION}, the reason being the file system's (such as
   * "Operation not permitted") or the kind of refusal, and FILE the path refused where it is not
   * {@code dir} itself (a parent, a file beside it; {@code dir} relative and FILE its absolute path
   * count as the same). Every command that writes into a folder the user names words this refusal
   * the same way.
   */
  public static String cannotCreate(Path dir, String option, FileSystemException e) {
    String reason = refusalReason(e);
    return dir
        + ": cannot create the output folder ("
        + (e.getFile() != null && !samePath(Path.of(e.getFile()), dir)
            ? e.getFile() + ": " + reason
            : reason)
        + "); choose another "
        + option;
  }

  /**
   * The caller's user error for {@code e}, a failure to create the output folder {@code dir} given
   * as {@code option} (or to create something in it), if the file system refuses the path ({@link
   * #refuses}): {@code userError} applied to {@link #cannotCreate}'s words and {@code e}. Otherwise
   * the failure is the machine's (a full disk, an I/O error) and {@code e} itself is thrown, as it
   * is. For {@code throw refusal(...)}.
   *
   * @throws FileSystemException {@code e}, where the file system does not refuse its path
   */
  public static <X extends RuntimeException> X refusal(
      FileSystemException e,
      Path dir,
      String option,
      BiFunction<String, ? super FileSystemException, X> userError)
      throws FileSystemException {
    return refusal(e, refused -> userError.apply(cannotCreate(dir, option, refused), refused));
  }

  /**
   * The caller's user error for {@code e} if the file system refuses its path ({@link #refuses}):
   * what {@code userError} builds from {@code e}. Otherwise the failure is the machine's (a full
   * disk, an I/O error) and {@code e} itself is thrown, as it is. Every command tells the two apart
   * here: {@code throw refusal(e, ...)}.
   *
   * @throws FileSystemException {@code e}, where the file system does not refuse its path
   */
  public static <X extends RuntimeException> X refusal(
      FileSystemException e, Function<? super FileSystemException, X> userError)
      throws FileSystemException {
    if (!refuses(e)) {
      throw e;
    }
    return userError.apply(e);
  }

  private static boolean samePath(Path a, Path b) {
    return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
  }

  /**
   * The file system's reason for refusing the path of {@code e} (such as "Operation not
   * permitted"), or, where it gives none, the kind of refusal ({@link #kindWords}).
   */
  public static String refusalReason(FileSystemException e) {
    return e.getReason() != null
        ? e.getReason()
        : Objects.requireNonNullElse(kindWords(e), "the file system refuses it");
  }

  /**
   * What is wrong with the path of {@code e} for the kinds the JDK names by their class alone,
   * without a reason ("permission denied", "already exists and is in the way", "no such file or
   * folder", "not a folder"); null for another kind. Every message that words such an exception
   * takes the words from here.
   */
  public static String kindWords(FileSystemException e) {
    return e instanceof AccessDeniedException
        ? "permission denied"
        : e instanceof FileAlreadyExistsException
            ? "already exists and is in the way"
            : e instanceof NoSuchFileException
                ? "no such file or folder"
                : e instanceof NotDirectoryException ? "not a folder" : null;
  }

  /**
   * Whether {@code e} is the file system refusing the path the user chose, rather than the machine
   * failing (a full disk, an I/O error): permission denied ({@code EACCES}), an operation the file
   * system does not permit there ({@code EPERM}, as {@code /sys} does), a read-only file system
   * ({@code EROFS}), or a path that cannot be (a missing folder, a file in the way, a file where a
   * folder should be, a name too long). This is the one rule for it: a command tells such a failure
   * from the machine's with {@link #refusal} (wording a failure to create the folder an option
   * names with {@link #cannotCreate}), and the command line counts it as bad input.
   *
   * <p>The JDK words {@code EPERM} and {@code EROFS} in the process's language ({@code LC_ALL},
   * {@code LC_MESSAGES}: "Die Operation ist nicht erlaubt" in German) and gives them no class of
   * their own, so they are not told by the English words: {@code EPERM} by the words this process
   * gets for an operation Linux always refuses with it ({@link #epermReason}), {@code EROFS} by the
   * words a write gets on the path's store where that store is read-only (another failure there, an
   * I/O error while reading, say, is the machine's), {@code ENOTDIR} by a file among the path's
   * folders and {@code ENAMETOOLONG} by the length of its names; for a failure that names two paths
   * (a rename), either may be the one refused. The C locale's words are kept for where these cannot
   * tell (the probe was refused otherwise, an exception that names no path).
   */
  public static boolean refuses(FileSystemException e) {
    if (e instanceof AccessDeniedException
        || e instanceof NoSuchFileException
        || e instanceof NotDirectoryException
        || e instanceof FileAlreadyExistsException) {
      return true;
    }
    if (e.getClass() != FileSystemException.class) {
      return false; // another kind the JDK names (a folder not empty, a loop of links, ...)
    }
    String reason = e.getReason();
    if (reason != null
        && (reason.equals(EpermReason.REASON)
            || reason.equals("Operation not permitted")
            || reason.equals("Read-only file system"))) {
      return true;
    }
    // A rename or a link names two paths; the one refused may be either (the new name too long).
    return e.getFile() != null && refusedThere(e.getFile(), reason)
        || e.getOtherFile() != null && refusedThere(e.getOtherFile(), reason);
  }

  /**
   * Whether a name in {@code file} is longer than {@value #NAME_MAX} bytes ({@code ENAMETOOLONG}),
   * the nearest of its folders that exists is a file ({@code ENOTDIR}), or {@code reason} is the
   * one a write gets on the read-only store of {@code file} or that folder ({@code EROFS}): kinds
   * the JDK gives no class of their own. A read-only store alone does not make a failure a refusal:
   * reading from one can fail with an I/O error, which is the machine's.
   */
  private static boolean refusedThere(String file, String reason) {
    try {
      Path path = Path.of(file).toAbsolutePath();
      for (Path name : path) {
        if (name.toString().getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
          return true;
        }
      }
      Path p = path;
      while (p != null && !Files.exists(p)) {
        p = p.getParent();
      }
      if (p == null) {
        return false;
      }
      if (!p.equals(path) && !Files.isDirectory(p)) {
        return true;
      }
      return reason != null
          && Files.getFileStore(p).isReadOnly()
          && reason.equals(readOnlyReason(p));
    } catch (IOException | RuntimeException e) {
      return false; // not known to be refused
    }
  }

  /**
   * The reason, in the process's language, that a write gets on {@code p}, which lies on a
   * read-only store: its modification time set to what it is, which that store refuses with {@code
   * EROFS} (and which changes nothing where it does not); null if the write is not refused that
   * way.
   */
  private static String readOnlyReason(Path p) {
    try {
      Files.setLastModifiedTime(p, Files.getLastModifiedTime(p));
      return null;
    } catch (FileSystemException e) {
      return e.getClass() == FileSystemException.class ? e.getReason() : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The reason this process's JDK gives for {@code EPERM}, in the process's language, or null where
   * it cannot be learned.
   */
  static String epermReason() {
    return EpermReason.REASON;
  }

  /**
   * Learns {@link #epermReason} once: a hard link to a folder, which Linux refuses with {@code
   * EPERM} on every file system (after it has checked that the folder the link would go in is
   * writable: the temporary folder). Nothing is created.
   */
  private static final class EpermReason {
    static final String REASON = probe();

    private static String probe() {
      Path dir = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
      Path link =
          dir.resolve(
              ".fedpeft-eperm-probe-"
                  + ProcessHandle.current().pid()
                  + "-"
                  + ThreadLocalRandom.current().nextLong(Long.MAX_VALUE));
      try {
        Files.createLink(link, dir);
        Files.deleteIfExists(link); // a system that links folders: no answer here
        return null;
      } catch (FileSystemException e) {
        return e.getClass() == FileSystemException.class ? e.getReason() : null;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  /**
   * Takes {@code dir} for a new run of {@code command}: creates it if absent, locks it, and checks
   * that it holds nothing; with {@code force}, a folder holding a fedpeft run is replaced whole.
   *
   * @throws RunFolderException if the folder is a file, is held by another process (the message
   *     names the pid when known), holds a run and {@code force} is false, or holds files that are
   *     not a fedpeft run
   */
  public static RunFolder createNew(Path dir, String command, boolean force) throws IOException {
    requireUsablePath(dir);
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS) || !Files.isDirectory(dir)) {
      if (Files.exists(dir)) {
        throw new RunFolderException(dir + ": is a file, not a folder; give a folder for the run");
      }
      Path parent = dir.toAbsolutePath().getParent();
      boolean created = false;
      List<Path> createdParents = AtomicFiles.missingAncestors(dir.toAbsolutePath());
      try {
        if (parent != null) {
          if (Files.exists(parent) && !Files.isDirectory(parent)) {
            throw new RunFolderException(parent + ": is a file, so " + dir + " cannot be created");
          }
          Files.createDirectories(parent);
        }
        Files.createDirectory(dir);
        created = true;
      } catch (FileAlreadyExistsException e) {
        // Another process created it just now; the lock below decides who owns it.
      } catch (FileSystemException e) {
        AtomicFiles.deleteEmptyFolders(createdParents, e);
        // Permission, a read-only or pseudo file system: the user's choice of folder, not a bug.
        throw refusal(e, dir, "--out", (message, cause) -> new RunFolderException(message));
      }
      RunFolder f = claim(dir, command, force);
      f.created = created;
      f.createdParents = created ? List.copyOf(createdParents) : List.of();
      return f;
    }
    return claim(dir, command, force);
  }

  /**
   * Locks an existing run folder of {@code command} to continue its run ({@code --resume}).
   *
   * @throws RunFolderException if it is not a folder, is held by another process, holds another
   *     command's output, or holds no run ({@link #ownerOf} finds none: no lock file recording the
   *     command that started it, nor the files of an older run), such as a folder holding only a
   *     hand-copied config.json
   */
  public static RunFolder reopen(Path dir, String command) throws IOException {
    requireUsablePath(dir);
    if (!Files.isDirectory(dir)) {
      throw new RunFolderException(
          dir
              + ": "
              + (Files.exists(dir) ? "is a file" : "no such folder")
              + ", nothing to resume");
    }
    boolean hadLockFile = Files.exists(dir.resolve(LOCK_FILE), LinkOption.NOFOLLOW_LINKS);
    RunFolder f = lock(dir, command);
    try {
      String owner = f.owner();
      if (owner == null) {
        // Not a run: every run records its command in the lock file before it writes anything
        // (older runs are recognised by their files, legacyOwnerOf), so a folder without
        // one (a hand-copied config.json, say) was never started and has nothing to resume.
        if (!hadLockFile) {
          Files.deleteIfExists(dir.resolve(LOCK_FILE)); // leave no trace in the user's folder
        }
        List<String> contents = contentsOf(dir);
        throw new RunFolderException(
            dir
                + " holds no fedpeft run to resume ("
                + (contents.isEmpty()
                    ? "it is empty"
                    : "it has "
                        + firstNames(contents)
                        + " but no "
                        + LOCK_FILE
                        + " naming the command that started a run there")
                + "); start a run with "
                // train takes its settings as options, simulate and server a config file.
                + CommandName.command(
                    command + (command.equals("train") ? "" : " CONFIG") + " --out")
                + " and a new or empty folder");
      }
      if (!owner.equals(command)) {
        // summary.json is a run's last file: a finished run has nothing to resume, with any
        // command.
        throw new RunFolderException(
            dir
                + " holds the output of `fedpeft "
                + owner
                + "`, not of `fedpeft "
                + command
                + "`"
                + (Files.exists(dir.resolve("summary.json"))
                    ? ", a finished " + owner + " run (summary.json): nothing to resume"
                    : ": resume it with " + CommandName.resume(owner, dir, "")));
      }
      f.writeOwner(command);
      return f;
    } catch (IOException | RuntimeException e) {
      f.close();
      throw e;
    }
  }

  /**
   * The command whose run {@code dir} holds ({@code train}, {@code simulate}, ...), from its lock
   * file, or, for folders written before lock files existed, from {@code summary.json}'s {@code
   * command} or a simulation's {@code config.json} with a {@code checkpoint/} or {@code
   * manifest.json}; null if it holds no recognisable run.
   */
  public static String ownerOf(Path dir) {
    try {
      String here = HELD_HERE.get(dir.toRealPath());
      if (here != null) {
        return here;
      }
    } catch (IOException e) {
      return null;
    }
    String owner = jsonString(dir.resolve(LOCK_FILE), "command");
    return owner != null ? owner : legacyOwnerOf(dir);
  }

  /** The owner of this (locked) folder, read through the lock's own channel. */
  private String owner() throws IOException {
    long size = channel.size();
    if (size > 0 && size < 1 << 16) {
      ByteBuffer b = ByteBuffer.allocate((int) size);
      while (b.hasRemaining() && channel.read(b, b.position()) > 0) {
        // Reads until the buffer is full or the end of the file.
      }
      try {
        b.flip();
        // Strict UTF-8 and strict JSON (JsonFiles.parse), as the other JSON files of a run folder.
        JsonObject o =
            JsonFiles.parse(StandardCharsets.UTF_8.newDecoder().decode(b).toString())
                .getAsJsonObject();
        if (o.has("command") && o.get("command").isJsonPrimitive()) {
          return o.get("command").getAsString();
        }
      } catch (CharacterCodingException | RuntimeException e) {
        // An unreadable record: fall back to what the folder holds.
      }
    }
    return legacyOwnerOf(path);
  }

  /**
   * The owner of a folder written before lock files existed, from what it holds: the {@code
   * command} of its summary.json or of a train run's start record (train.json), or {@code simulate}
   * for config.json beside a checkpoint or manifest.json.
   */
  private static String legacyOwnerOf(Path dir) {
    String owner = jsonString(dir.resolve("summary.json"), "command");
    if (owner != null) {
      return owner;
    }
    if ("train".equals(jsonString(dir.resolve("train.json"), "command"))) {
      return "train";
    }
    if (Files.isRegularFile(dir.resolve("config.json"))
        && (Files.isDirectory(dir.resolve("checkpoint"))
            || Files.isRegularFile(dir.resolve("manifest.json")))) {
      return "simulate";
    }
    return null;
  }

  private static void requireUsablePath(Path dir) {
    Objects.requireNonNull(dir, "dir");
    if (dir.toString().isEmpty()) {
      throw new RunFolderException(
          "the output folder is an empty path; give a folder name (an empty one would write into"
              + " the current folder)");
    }
  }

  private static RunFolder claim(Path dir, String command, boolean force) throws IOException {
    boolean hadLockFile = Files.exists(dir.resolve(LOCK_FILE), LinkOption.NOFOLLOW_LINKS);
    RunFolder f = lock(dir, command);
    try {
      List<String> contents = contentsOf(dir);
      if (contents.isEmpty()) {
        f.writeOwner(command);
        f.fresh = true;
        return f;
      }
      String owner = f.owner();
      if (owner == null) {
        if (!hadLockFile) {
          // The user's own folder: leave no trace of the attempt in it.
          Files.deleteIfExists(dir.resolve(LOCK_FILE));
        }
        throw new RunFolderException(
            dir
                + " is not empty and holds no fedpeft run (it has "
                + firstNames(contents)
                + "); choose a new or empty folder");
      }
      if (!force) {
        throw new RunFolderException(
            owner.equals(command)
                ? dir
                    + " already holds a `fedpeft "
                    + command
                    + "` run"
                    + (Files.exists(dir.resolve("summary.json"))
                        ? ", a finished one (summary.json): nothing to continue; replace it with"
                            + " --force, or choose another folder"
                        : "; continue it with "
                            + CommandName.resume(command, dir, "")
                            + ", replace it with --force, or choose another folder")
                : dir
                    + " holds the output of `fedpeft "
                    + owner
                    + "`; refusing to mix `fedpeft "
                    + command
                    + "` output into it: choose another folder, or replace it whole with"
                    + " --force");
      }
      return f.replaceWhole(command);
    } catch (IOException | RuntimeException e) {
      f.close();
      throw e;
    }
  }

  /** The first three of {@code names}, comma-separated, with {@code ", ..."} if there are more. */
  private static String firstNames(List<String> names) {
    return String.join(", ", names.subList(0, Math.min(3, names.size())))
        + (names.size() > 3 ? ", ..." : "");
  }

  /** Everything in {@code dir} except the lock file, sorted. */
  private static List<String> contentsOf(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.map(p -> p.getFileName().toString())
          .filter(n -> !n.equals(LOCK_FILE))
          .sorted()
          .forEach(names::add);
    }
    return names;
  }

  /**
   * Holds the exclusive lock on the writes of one short call of {@code command} into {@code dir}
   * (an existing folder that is not a run folder, such as {@code fedpeft certs}'s): the file {@code
   * dir/lockName}, locked as a run folder's {@value #LOCK_FILE} is and recording this process as it
   * does; closing the returned lock deletes the file, then releases it (a process killed with
   * {@code kill -9} leaves the file, and the next call takes it over and deletes it).
   *
   * @throws RunFolderException naming {@code dir} and the holder (process id, command, start) if
   *     another call, in this process or another, holds it
   */
  public static Closeable lockWrites(Path dir, String lockName, String command) throws IOException {
    RunFolder f = lock(dir, lockName, command);
    try {
      f.writeOwner(command);
    } catch (IOException | RuntimeException e) {
      f.close();
      throw e;
    }
    return () -> {
      try {
        Files.deleteIfExists(dir.resolve(lockName));
      } finally {
        f.close();
      }
    };
  }

  /** Locks {@code dir/LOCK_FILE}, refusing if another process (or this one) holds it. */
  private static RunFolder lock(Path dir, String command) throws IOException {
    return lock(dir, LOCK_FILE, command);
  }

  /**
   * Locks {@code dir/lockName}, refusing if another process (or this one) holds it. A lock file
   * that its holder deletes before releasing it ({@link #lockWrites}) may be gone, or replaced by
   * another, by the time it is locked: the lock is then on a file no longer in place, and is tried
   * again on the one that is.
   */
  private static RunFolder lock(Path dir, String lockName, String command) throws IOException {
    Path lockFile = dir.resolve(lockName);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Object dirKey = fileKey(dir);
      Path real = dir.toRealPath();
      Path key = lockName.equals(LOCK_FILE) ? real : real.resolve(lockName);
      String holder = HELD_HERE.putIfAbsent(key, command);
      if (holder != null) {
        throw new RunFolderException(
            dir
                + " is in use by another run in this process (pid "
                + ProcessHandle.current().pid()
                + ", fedpeft "
                + holder
                + ")");
      }
      FileChannel ch = null;
      try {
        Object opened = fileKeyIfPresent(lockFile);
        ch =
            FileChannel.open(
                lockFile,
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        if (opened == null) {
          opened = fileKeyIfPresent(lockFile);
        }
        FileLock l;
        try {
          l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
          l = null;
        }
        if (l == null) {
          throw new RunFolderException(
              dir + " is in use by another fedpeft process (" + describeHolder(lockFile) + ")");
        }
        // The folder may have been replaced (--force), or the lock file deleted by its holder,
        // between opening and locking: then the lock is on a file no longer in place; try again.
        if (dirKey != null && !dirKey.equals(fileKey(dir))
            || opened != null && !opened.equals(fileKeyIfPresent(lockFile))) {
          l.release();
          ch.close();
          HELD_HERE.remove(key);
          continue;
        }
        return new RunFolder(dir, key, ch, l);
      } catch (IOException | RuntimeException e) {
        if (ch != null) {
          ch.close();
        }
        HELD_HERE.remove(key);
        throw e;
      }
    }
    throw new RunFolderException(dir + ": kept being replaced while it was being locked");
  }

  private static Object fileKey(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  /** The file's key, or null if it is missing (reads its attributes; never opens it). */
  private static Object fileKeyIfPresent(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** "pid 1234, fedpeft simulate since ..." from the lock file, as far as it is known. */
  private static String describeHolder(Path lockFile) {
    String pid = jsonString(lockFile, "pid");
    String command = jsonString(lockFile, "command");
    String started = jsonString(lockFile, "started");
    if (pid == null) {
      return "process id not recorded yet";
    }
    return "pid "
        + pid
        + (command == null ? "" : ", fedpeft " + command)
        + (started == null ? "" : ", started " + started);
  }

  private static String jsonString(Path file, String key) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      String text = JsonFiles.readUtf8(file);
      if (text.isBlank()) {
        return null;
      }
      JsonObject o = JsonFiles.parse(text).getAsJsonObject();
      return o.has(key) && o.get(key).isJsonPrimitive() ? o.get(key).getAsString() : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private void writeOwner(String command) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("command", command);
    o.addProperty("pid", ProcessHandle.current().pid());
    o.addProperty("started", STARTED.format(Instant.now()));
    byte[] bytes = (o + "\n").getBytes(StandardCharsets.UTF_8);
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(bytes), 0);
    channel.force(true);
  }

  /**
   * Replaces this (locked, non-empty) folder by a fresh locked one under the same name; the old
   * folder is renamed aside first, and deleted when the new run closes (or put back if it is
   * abandoned). A failure of any step after the old folder is renamed aside (renaming the fresh one
   * into place, releasing the old one's lock, resolving the folder's real path, writing the new
   * owner record) puts the old folder back under its name, releases the new folder's lock and
   * removes the new folder, then throws the step's failure ({@link #putBack}). A failure before
   * that (locking the new folder, renaming the old one aside) leaves the old folder where it was
   * and removes the new one.
   *
   * @throws IOException the failure of the step, as the file system reported it; or, if the old
   *     folder could not be put back either, one saying so and where it is
   */
  private RunFolder replaceWhole(String command) throws IOException {
    Path absolute = path.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    String name = absolute.getFileName().toString();
    String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
    Path freshDir = parent.resolve("." + name + STAGING + suffix);
    Path aside = parent.resolve("." + name + REPLACED + suffix);
    Files.createDirectory(freshDir);
    RunFolder next = null;
    try {
      next = lock(freshDir, command);
      failAt("aside");
      Files.move(absolute, aside, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      // The old run is where it was: release and remove the fresh folder, which holds only its
      // lock.
      try {
        if (next != null) {
          next.close();
        }
        AtomicFiles.deleteTree(freshDir);
      } catch (IOException | RuntimeException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
    // From here on the old run is aside: every failure puts it back.
    RunFolder replacement = null;
    boolean inPlace = false;
    try {
      failAt("move");
      Files.move(freshDir, absolute, StandardCopyOption.ATOMIC_MOVE);
      inPlace = true;
      failAt("release");
      close();
      HELD_HERE.remove(next.key);
      failAt("key");
      Path realKey = absolute.toRealPath();
      HELD_HERE.put(realKey, command);
      replacement = new RunFolder(path, realKey, next.channel, next.lock);
      replacement.fresh = true;
      replacement.replaced = aside;
      IOException injected = replacementOwnerFailure;
      if (injected != null) {
        throw injected;
      }
      replacement.writeOwner(command);
      return replacement;
    } catch (IOException | RuntimeException e) {
      // The new run has written nothing yet: release its lock and put the old run back.
      try {
        putBack(replacement != null ? replacement : next, inPlace ? absolute : freshDir, aside)
            .forEach(e::addSuppressed);
      } catch (IOException lost) {
        IOException both =
            new IOException(
                "replacing "
                    + absolute
                    + " failed ("
                    + e.getMessage()
                    + "), and "
                    + lost.getMessage(),
                e);
        both.addSuppressed(lost);
        throw both;
      }
      throw e;
    }
  }

  /** Throws {@link #replacementStepFailure}'s failure for {@code step}, if any. */
  private static void failAt(String step) throws IOException {
    Function<String, IOException> seam = replacementStepFailure;
    IOException e = seam == null ? null : seam.apply(step);
    if (e != null) {
      throw e;
    }
  }

  /**
   * Puts the run that a new run of this folder replaces back under the folder's name, as it was:
   * releases the new run's lock ({@code holder}, keeping the old run), renames the new folder from
   * {@code fresh} to a hidden sibling if it is in the folder's place, renames the old run from
   * {@code aside} back, and deletes the new folder (which holds nothing of a run yet).
   *
   * @return the failures of releasing the lock and of deleting the new folder, which leave the old
   *     run back in place; empty if none
   * @throws IOException if the old run could not be renamed back, saying so and where it is (with
   *     those failures suppressed)
   */
  private List<Exception> putBack(RunFolder holder, Path fresh, Path aside) throws IOException {
    Path absolute = path.toAbsolutePath().normalize();
    List<Exception> others = new ArrayList<>();
    holder.replaced = null; // so that closing it keeps the old run
    try {
      holder.close();
    } catch (IOException | RuntimeException e) {
      others.add(e);
    }
    Path failed = fresh;
    try {
      if (fresh.equals(absolute)) {
        failed =
            absolute.resolveSibling(
                "."
                    + absolute.getFileName()
                    + ".failed-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Files.move(absolute, failed, StandardCopyOption.ATOMIC_MOVE);
      }
      failAt("back");
      Files.move(aside, absolute, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      IOException lost =
          new IOException(
              "the run "
                  + absolute
                  + " held could not be put back ("
                  + e.getMessage()
                  + "): it is in "
                  + aside
                  + "; move it back to "
                  + absolute
                  + " to recover it",
              e);
      others.forEach(lost::addSuppressed);
      throw lost;
    }
    try {
      AtomicFiles.deleteTree(failed);
    } catch (IOException | RuntimeException e) {
      others.add(e);
    }
    return others;
  }

  /**
   * The runs that earlier {@code --force} runs of this folder replaced and left behind: the hidden
   * siblings {@code .NAME.replaced-<hex>} ({@link #hiddenSiblings}) other than {@link
   * #replacedRun()}, sorted. A replaced run waits there until the run replacing it closes ({@link
   * #close}), so one is left only when that process died first (SIGKILL, a crash, power loss);
   * since this process now holds the folder, no run that replaced it is still running. They are not
   * deleted: the killed run may be incomplete and the replaced one the only finished result, so the
   * user decides (the commands print where each is: delete it, or move it back to recover that
   * run).
   */
  public List<Path> leftoverReplacedRuns() throws IOException {
    List<Path> left = new ArrayList<>(hiddenSiblings(REPLACED));
    left.remove(replaced);
    return left;
  }

  /** What follows {@code .NAME} in the hidden name of a replaced run. */
  private static final String REPLACED = ".replaced-";

  /** What follows {@code .NAME} in the hidden name of a {@code --force} run's fresh folder. */
  private static final String STAGING = ".new-";

  /**
   * The folders beside this one named as {@link #replaceWhole} names its siblings of {@code kind}
   * ({@link #REPLACED} or {@link #STAGING}): {@code .NAME} + {@code kind} + the hex digits of a
   * {@code long}, exactly, sorted; links are not followed. Another folder's siblings never match,
   * also where its name starts with this one's ({@code .run.new-x.new-1f} is the fresh folder of
   * {@code run.new-x}, not of {@code run}).
   */
  private List<Path> hiddenSiblings(String kind) throws IOException {
    Path absolute = path.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    if (parent == null) {
      return List.of();
    }
    Pattern own =
        Pattern.compile(Pattern.quote("." + absolute.getFileName() + kind) + "[0-9a-f]{1,16}");
    List<Path> found = new ArrayList<>();
    try (Stream<Path> s = Files.list(parent)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (own.matcher(p.getFileName().toString()).matches()
            && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          found.add(p);
        }
      }
    }
    found.sort(null);
    return found;
  }

  /**
   * The fresh folders {@code .NAME.new-<hex>} ({@link #hiddenSiblings}) that earlier {@code
   * --force} runs of this folder created and were killed before renaming into its place ({@link
   * #replaceWhole}: between creating the fresh folder and moving it, which happens before the run
   * writes anything), each with whether it was removed, sorted. One is removed when it holds
   * nothing but an empty lock file and no process holds that lock (this process takes it first); it
   * then holds nothing of any run. A run replacing this folder holds the folder's lock while its
   * fresh folder exists, so while this process holds the folder none is being replaced; one whose
   * lock a process holds all the same is neither removed nor listed. Any other (it holds files) is
   * kept, as the user's to decide.
   */
  public Map<Path, Boolean> clearLeftoverStaging() throws IOException {
    Map<Path, Boolean> found = new TreeMap<>();
    for (Path p : hiddenSiblings(STAGING)) {
      try {
        Boolean removed = removeIfUnused(p);
        if (removed != null) {
          found.put(p, removed);
        }
      } catch (NoSuchFileException e) {
        // renamed into place by the run that created it, or removed by another: not left over
      }
    }
    return found;
  }

  /**
   * Removes the staging folder {@code dir} if it holds nothing but an empty lock file that no
   * process holds; returns whether it did, or null if a process holds its lock.
   */
  private static Boolean removeIfUnused(Path dir) throws IOException {
    if (!holdsAnEmptyLockFileOnly(dir)) {
      return false;
    }
    RunFolder held;
    try {
      held = lock(dir, "staging");
    } catch (RunFolderException e) {
      return null; // a live run holds it
    }
    try {
      if (!holdsAnEmptyLockFileOnly(dir)) {
        return false;
      }
      Files.delete(dir.resolve(LOCK_FILE));
    } finally {
      held.close();
    }
    Files.delete(dir);
    return true;
  }

  private static boolean holdsAnEmptyLockFileOnly(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> files = s.toList();
      return files.isEmpty()
          || files.size() == 1
              && files.get(0).getFileName().toString().equals(LOCK_FILE)
              && Files.isRegularFile(files.get(0), LinkOption.NOFOLLOW_LINKS)
              && Files.size(files.get(0)) == 0;
    }
  }

  /**
   * Where the run this one replaces ({@code --force}) waits until this run closes normally, or null
   * if it replaces none.
   */
  public Path replacedRun() {
    return replaced;
  }

  /**
   * Ends a new run that failed before it started: everything it wrote is removed and the folder is
   * left as the run found it (a folder it created is removed, with the parent folders it created
   * for it while they are empty, an empty one emptied again, lock file included, and a run it was
   * replacing is put back in its place). A resumed run's folder is only released, as by {@link
   * #close}: its earlier output stays.
   */
  public void abandon() throws IOException {
    if (closed) {
      return;
    }
    if (!fresh) {
      close();
      return;
    }
    if (replaced != null) {
      List<Exception> failures = putBack(this, path.toAbsolutePath().normalize(), replaced);
      if (!failures.isEmpty()) {
        Exception first = failures.get(0);
        failures.subList(1, failures.size()).forEach(first::addSuppressed);
        if (first instanceof IOException io) {
          throw io;
        }
        throw (RuntimeException) first;
      }
      return;
    }
    try (Stream<Path> s = Files.list(path)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!p.getFileName().toString().equals(LOCK_FILE)) {
          AtomicFiles.deleteTree(p);
        }
      }
    }
    Files.deleteIfExists(path.resolve(LOCK_FILE));
    close();
    if (created && AtomicFiles.deleteEmptyFolders(List.of(path), null)) {
      // Not if another process started writing into it after our lock went: it is theirs now.
      AtomicFiles.deleteEmptyFolders(createdParents, null);
    }
  }

  /**
   * Releases the lock (the lock file stays, recording the owner); the run this one replaced, if
   * any, is deleted.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      try {
        if (lock.isValid()) {
          lock.release();
        }
      } finally {
        channel.close(); // releases the lock too, if releasing it failed
      }
    } finally {
      HELD_HERE.remove(key);
    }
    if (replaced != null) {
      Path aside = replaced;
      replaced = null;
      AtomicFiles.deleteTree(aside);
    }
  }
}
