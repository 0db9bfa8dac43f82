package org.fedpeft.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Writes files atomically: all of the new content or none of it, never a torn file.
 *
 * <p>The content goes to a hidden temporary file in the same folder as the target ({@code
 * .<name>.<random>.tmp}), is flushed and fsynced, and is then renamed over the target with {@link
 * StandardCopyOption#ATOMIC_MOVE}; finally the folder itself is fsynced (where the platform allows
 * it) so the rename survives a power cut. If anything fails before the rename, the temporary file
 * is deleted and the previous target (if any) is left exactly as it was.
 *
 * <p>The temporary file is created with the platform's default permissions (as {@link
 * Files#newOutputStream} would), so the result has the same permissions as a plainly written file;
 * {@link #writeOwnerOnly} creates it readable by its owner only. A symbolic link at the target is
 * replaced by a regular file, not followed. Missing parent folders are created.
 */
public final class AtomicFiles {

  private static final int BUFFER_BYTES = 1 << 16;
  private static final int MAX_TEMP_ATTEMPTS = 100;
  private static final int MAX_BASE_NAME_BYTES = 120;

  private AtomicFiles() {}

  /**
   * The start of the name of a temporary sibling of {@code name} (a file or folder being written):
   * {@code "." + name + "."}, the name cut to its longest start of at most {@value
   * #MAX_BASE_NAME_BYTES} bytes of UTF-8 that ends with a whole character, so that a long name
   * still leaves room for a suffix within the file system's limit of 255 bytes.
   */
  public static String siblingPrefix(Path name) {
    String base = name.toString();
    int bytes = 0;
    int end = 0;
    while (end < base.length()) {
      int c = base.codePointAt(end);
      bytes += utf8Bytes(c);
      if (bytes > MAX_BASE_NAME_BYTES) {
        break;
      }
      end += Character.charCount(c);
    }
    return "." + base.substring(0, end) + ".";
  }

  /**
   * Whether {@code fileName} names a temporary file this class writes on its way to {@code name}
   * ({@link #siblingPrefix}, then the random number in hex, then {@code .tmp}), which a process
   * killed while writing leaves behind.
   */
  public static boolean isTemporaryOf(Path name, String fileName) {
    String prefix = siblingPrefix(name);
    return fileName.startsWith(prefix)
        && TEMPORARY_SUFFIX.matcher(fileName.substring(prefix.length())).matches();
  }

  /** What follows {@link #siblingPrefix} in a temporary file's name (Long.toHexString, .tmp). */
  private static final java.util.regex.Pattern TEMPORARY_SUFFIX =
      java.util.regex.Pattern.compile("[0-9a-f]{1,16}\\.tmp");

  /**
   * Whether {@link #siblingPrefix} of {@code name} is no other name's: {@code name} has at most
   * {@value #MAX_BASE_NAME_BYTES} - 4 bytes of UTF-8. A longer name is cut to at least {@value
   * #MAX_BASE_NAME_BYTES} - 3 bytes (a character has at most 4), so it may be cut to a name of that
   * length or more, which then shares its siblings' names.
   */
  static boolean siblingPrefixIsOwn(Path name) {
    return name.toString().codePoints().map(AtomicFiles::utf8Bytes).sum()
        <= MAX_BASE_NAME_BYTES - 4;
  }

  /** The bytes of {@code codePoint} in UTF-8. */
  private static int utf8Bytes(int codePoint) {
    return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }

  /**
   * Atomically replaces (or creates) {@code target} with {@code bytes}.
   *
   * @param target the file to write
   * @param bytes the complete new content
   * @throws IOException if the file cannot be written; the previous content is then untouched
   */
  public static void write(Path target, byte[] bytes) throws IOException {
    Objects.requireNonNull(bytes, "bytes");
    writeWith(target, out -> out.write(bytes));
  }

  /**
   * Atomically replaces (or creates) {@code target} with {@code bytes}, as {@link #write} does, but
   * leaves the fsync of the folder to the caller: the content is on the disk when this returns, the
   * rename only once the folder is synced ({@link #fsyncDirectory}). For a caller that writes many
   * files into one folder before the file that names them, which then syncs the folder once instead
   * of once per file; a crash before that sync loses at most the new names, never a file's content
   * under its name.
   *
   * @param target the file to write
   * @param bytes the complete new content
   * @throws IOException if the file cannot be written; the previous content is then untouched
   */
  public static void writeFolderUnsynced(Path target, byte[] bytes) throws IOException {
    Objects.requireNonNull(bytes, "bytes");
    writeWith(target, out -> out.write(bytes), false, false);
  }

  /**
   * Atomically replaces (or creates) {@code target} with {@code text} encoded as UTF-8.
   *
   * @param target the file to write
   * @param text the complete new content
   * @throws IOException if the file cannot be written; the previous content is then untouched
   */
  public static void writeString(Path target, String text) throws IOException {
    Objects.requireNonNull(text, "text");
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Atomically replaces (or creates) {@code target} with {@code bytes}, a file readable and
   * writable by its owner only (a private key): where the file system has POSIX permissions, the
   * temporary file is created with permissions {@code rw-------}, so the content is never readable
   * by others, not even while it is written. Elsewhere it is as {@link #write}.
   *
   * @param target the file to write
   * @param bytes the complete new content
   * @throws IOException if the file cannot be written; the previous content is then untouched
   */
  public static void writeOwnerOnly(Path target, byte[] bytes) throws IOException {
    Objects.requireNonNull(bytes, "bytes");
    writeWith(target, out -> out.write(bytes), true, true);
  }

  /**
   * Atomically replaces (or creates) {@code target} with whatever {@code writer} writes to the
   * stream it is given.
   *
   * <p>The stream is buffered; the writer may close it or leave it open (it is flushed and closed
   * here either way). If the writer throws, the exception propagates, the temporary file is deleted
   * and {@code target} is untouched.
   *
   * @param target the file to write
   * @param writer writes the complete new content
   * @throws IOException if the writer or the file system fails; the previous content is then
   *     untouched
   */
  public static void writeWith(Path target, IOConsumer<? super OutputStream> writer)
      throws IOException {
    writeWith(target, writer, false, true);
  }

  private static void writeWith(
      Path target, IOConsumer<? super OutputStream> writer, boolean ownerOnly, boolean syncFolder)
      throws IOException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(writer, "writer");
    Path absolute = target.toAbsolutePath().normalize();
    Path dir = absolute.getParent();
    Path name = absolute.getFileName();
    if (dir == null || name == null) {
      throw new IllegalArgumentException("not a file path: " + target);
    }
    if (Files.isDirectory(absolute)) {
      throw new IOException(target + ": is a directory, cannot replace it with a file");
    }
    Files.createDirectories(dir);
    FileAttribute<?>[] attributes =
        ownerOnly && dir.getFileSystem().supportedFileAttributeViews().contains("posix")
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
            }
            : new FileAttribute<?>[0];

    Path temp = null;
    try {
      String prefix = siblingPrefix(name);
      FileChannel channel = null;
      for (int attempt = 0; channel == null; attempt++) {
        Path candidate =
            dir.resolve(prefix + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
          channel =
              FileChannel.open(
                  candidate,
                  Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                  attributes);
          temp = candidate;
        } catch (FileAlreadyExistsException e) {
          if (attempt >= MAX_TEMP_ATTEMPTS) {
            throw e;
          }
        }
      }
      try (FileChannel ch = channel) {
        BufferedOutputStream buffered =
            new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER_BYTES);
        writer.accept(new KeepOpenStream(buffered));
        buffered.flush();
        ch.force(true);
      }
      Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
      temp = null;
    } catch (Throwable t) {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException | RuntimeException cleanup) {
          t.addSuppressed(cleanup);
        }
      }
      throw t;
    }
    if (syncFolder) {
      fsyncDirectory(dir);
    }
  }

  /**
   * Replaces (or creates) the folder {@code target} with what {@code writer} writes into the empty
   * folder it is given: all of the new folder or the old one, never a mix of their files.
   *
   * <p>The writer fills a {@link StagingFolder} ({@code .<name>.tmp-<pid>-<k>}, held through its
   * lock file); every file and folder in it is then fsynced, and it replaces {@code target} as
   * {@link StagingFolder#commitReplacing} describes: an existing {@code target} is renamed aside to
   * {@code .<name>.tmp-<pid>-<k>.old}, the new folder renamed into place, and only then the old one
   * deleted (under the staging folder's name, so that a folder under the {@code .old} name is
   * always complete), so a crash leaves the old folder or the new one complete, or (between the two
   * renames) the complete old folder beside the missing {@code target}, which the next call for the
   * target renames back to {@code target} before it writes; never a folder that mixes old and new
   * files. If the writer throws, or the process is interrupted (Ctrl-C, SIGTERM) before the rename,
   * the staging folder and the missing parent folders created for it are deleted and {@code target}
   * is untouched. Leftovers of an earlier call for the same target are deleted (or, for an old
   * folder set aside without a target, put back) first, silently, only where their process has
   * ended; a live writer's are left alone. Two writers of the same target do not disturb each
   * other's folders, but their renames are not serialised; callers own the parent folder (a locked
   * {@link RunFolder}) while they write.
   *
   * @param target the folder to replace or create
   * @param writer writes the complete new content into the folder it receives
   * @throws IOException if the writer or the file system fails; the previous folder is then
   *     untouched, unless only its deletion after the new folder was renamed into place failed
   */
  public static void writeFolder(Path target, IOConsumer<? super Path> writer) throws IOException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(writer, "writer");
    Path absolute = target.toAbsolutePath().normalize();
    if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
      throw new IOException(target + ": is a file, cannot replace it with a folder");
    }
    try (StagingFolder staging = StagingFolder.create(absolute, notice -> {})) {
      writer.accept(staging.path());
      staging.commitReplacing();
    }
  }

  /**
   * Deletes a folder and everything in it, deepest first; symbolic links are not followed. Nothing
   * happens if {@code root} does not exist.
   *
   * @param root the folder (or file) to delete
   * @throws IOException if an entry cannot be deleted, or the folder changes while it is deleted
   */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> s = Files.walk(root)) {
      all = s.sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    for (Path p : all) {
      Files.deleteIfExists(p);
    }
  }

  /**
   * The folders above {@code path} that do not exist yet, deepest first: those that {@code
   * Files.createDirectories(path.getParent())} would create, for {@link #deleteEmptyFolders} to
   * remove again.
   *
   * @param path an absolute path
   */
  public static List<Path> missingAncestors(Path path) {
    List<Path> missing = new ArrayList<>();
    for (Path p = path.getParent(); p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); ) {
      missing.add(p);
      p = p.getParent();
    }
    return missing;
  }

  /**
   * Deletes the folders in order (deepest first) while each is empty. It stops at the first that is
   * not (another process has put files in it: it is theirs now, and so are the folders above it) or
   * that cannot be deleted.
   *
   * @param failure a failure being reported, to which an error deleting a folder is added as
   *     suppressed; or null
   * @return whether every one is gone
   */
  public static boolean deleteEmptyFolders(List<Path> folders, Throwable failure) {
    for (Path p : folders) {
      try {
        Files.deleteIfExists(p);
      } catch (DirectoryNotEmptyException e) {
        return false;
      } catch (IOException | RuntimeException e) {
        if (failure != null) {
          failure.addSuppressed(e);
        }
        return false;
      }
    }
    return true;
  }

  /**
   * Forces what has been written to {@code file} so far (lines appended to it, say) to the disk,
   * and then its folder (where the platform allows it), as the writes of this class force theirs,
   * so that a file written atomically afterwards that counts on that content (a checkpoint that
   * counts a log's lines) is never durable without it: syncing a file does not make its name in the
   * folder durable, and a file created by appending (metrics.jsonl by its first line) has a name
   * that no rename of this class ever synced. Nothing happens if the file does not exist.
   *
   * @throws IOException if the file cannot be opened or synced
   */
  public static void fsync(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Path folder = file.toAbsolutePath().getParent();
    if (folder != null) {
      fsyncDirectory(folder);
    }
  }

  /**
   * Makes the completed renames in folder {@code dir} durable; best effort, as not every platform
   * can open a folder for syncing.
   */
  public static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      // Best effort: Windows cannot open a directory as a channel; the data file itself is synced.
    }
  }

  /** Passes writes through; close only flushes, so the owner decides when the file is done. */
  private static final class KeepOpenStream extends FilterOutputStream {
    private boolean closed;

    KeepOpenStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      ensureOpen();
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      ensureOpen();
      out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      ensureOpen();
      out.flush();
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        out.flush();
        closed = true;
      }
    }

    private void ensureOpen() throws IOException {
      if (closed) {
        throw new IOException("stream closed");
      }
    }
  }
}
