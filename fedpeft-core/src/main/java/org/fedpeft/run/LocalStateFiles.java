package org.fedpeft.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ServerState;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.Sha256;

/**
 * The simulated clients' LOCAL states of a checkpoint ({@link RunCheckpoint}): one file per client
 * in {@value #DIR} of the run folder, {@code <sha256>.safetensors}, named by the SHA-256 of its
 * content, the client's state as {@link ClientState#toBytes} writes it (the client's id inside).
 *
 * <p>A file is never replaced by other content: a client whose state changes gets a new file, and
 * one whose state did not change keeps its file, which is not written again. So while a checkpoint
 * is being written, the files that the checkpoint in place names are untouched, and a kill at any
 * moment leaves every one of them as it was; files no checkpoint names (of a checkpoint being
 * written when the process died, or of states replaced since) are deleted once a checkpoint is in
 * place, and when a resumed run starts ({@link #deleteAllBut}). The checkpoint names its files in
 * the extra entry {@value #INDEX}: a JSON object from client id to SHA-256, sorted by id.
 */
final class LocalStateFiles {

  /** The folder of the files in the run folder. */
  static final String DIR = "checkpoint/local";

  /** The checkpoint's extra entry naming the file of each client's state. */
  static final String INDEX = "sim.local_files";

  private static final String SUFFIX = ".safetensors";
  private static final Pattern NAME = Pattern.compile("[0-9a-f]{64}\\.safetensors");

  private LocalStateFiles() {}

  /**
   * Writes client {@code clientId}'s state (atomically, unless its file is there already) and
   * returns the SHA-256 that names the file. The file's content is on the disk when this returns,
   * its name once {@link #syncFolder} has run: a checkpoint writes every changed state, then syncs
   * the folder once, before the checkpoint file that names them.
   */
  static String write(Path runFolder, String clientId, ClientState state) throws IOException {
    byte[] bytes = state.toBytes(clientId);
    String sha256 = sha256(bytes);
    Path file = fileOf(runFolder, sha256);
    if (!Files.isRegularFile(file)) {
      AtomicFiles.writeFolderUnsynced(file, bytes);
    }
    return sha256;
  }

  /** Makes the names of the files {@link #write} wrote durable (one fsync of {@value #DIR}). */
  static void syncFolder(Path runFolder) {
    Path dir = runFolder.resolve(DIR);
    if (Files.isDirectory(dir)) {
      AtomicFiles.fsyncDirectory(dir);
    }
  }

  /**
   * The SHA-256 that names the file of client {@code clientId}'s state if that file is in the run
   * folder, else null. Writes nothing.
   */
  static String existing(Path runFolder, String clientId, ClientState state) {
    String sha256 = sha256(state.toBytes(clientId));
    return Files.isRegularFile(fileOf(runFolder, sha256)) ? sha256 : null;
  }

  private static String sha256(byte[] bytes) {
    return Sha256.ofBytes(bytes);
  }

  /**
   * Client {@code clientId}'s state in the file named by {@code sha256}, after checking that the
   * file's content has that SHA-256.
   *
   * @throws IllegalArgumentException naming the file if it is missing, its content is not the one
   *     named, or it is not that client's state
   */
  static ClientState read(Path runFolder, String clientId, String sha256) throws IOException {
    Path file = requireFile(runFolder, clientId, sha256);
    byte[] bytes = Files.readAllBytes(file);
    if (!sha256(bytes).equals(sha256)) {
      throw new IllegalArgumentException(
          file + ": the content does not match its name (SHA-256); the file is corrupted");
    }
    return ClientState.fromBytes(bytes, clientId, file.toString());
  }

  /** Adds the index of the clients' files to a checkpoint being built (nothing if it is empty). */
  static void putIndex(ServerState.Builder b, SortedMap<String, String> index) {
    if (index.isEmpty()) {
      return;
    }
    JsonObject o = new JsonObject();
    index.forEach(o::addProperty);
    b.putExtra(INDEX, o.toString());
  }

  /**
   * The index of a checkpoint ({@link #putIndex}), or null if it has none (it names no file: no
   * client stored anything, or the checkpoint holds the states itself, {@link
   * LocalStateCheckpoint}).
   */
  static SortedMap<String, String> index(ServerState s) {
    String json = s.extra().get(INDEX);
    if (json == null) {
      return null;
    }
    SortedMap<String, String> index = new TreeMap<>();
    CheckpointJson.read(
        json,
        "checkpoint: " + INDEX,
        o -> {
          for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            String sha256 = e.getValue().getAsString();
            if (!NAME.matcher(sha256 + SUFFIX).matches()) {
              throw new IllegalArgumentException("'" + sha256 + "' is not a SHA-256");
            }
            index.put(e.getKey(), sha256);
          }
          return index;
        });
    return index;
  }

  /**
   * Reads every client's state that {@code index} names, one at a time, each checked as {@link
   * #read} checks it, and returns those that {@code keep} accepts, by id; the others are dropped as
   * soon as they are checked, so memory holds one of them at a time.
   *
   * @throws IllegalArgumentException naming the file of the first state whose file is missing or
   *     corrupted ({@link #read})
   */
  static SortedMap<String, ClientState> readAll(
      Path runFolder, SortedMap<String, String> index, Predicate<ClientState> keep)
      throws IOException {
    SortedMap<String, ClientState> out = new TreeMap<>();
    for (Map.Entry<String, String> e : index.entrySet()) {
      ClientState s = read(runFolder, e.getKey(), e.getValue());
      if (keep.test(s)) {
        out.put(e.getKey(), s);
      }
    }
    return out;
  }

  /**
   * The file named by {@code sha256}, client {@code clientId}'s state, after checking that it is in
   * the run folder. Reads no content.
   *
   * @throws IllegalArgumentException naming the file if it is missing
   */
  static Path requireFile(Path runFolder, String clientId, String sha256) {
    Path file = fileOf(runFolder, sha256);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          file + " is missing: the run's checkpoint names it as client " + clientId + "'s state");
    }
    return file;
  }

  /**
   * Deletes from {@value #DIR} every state file but those named by {@code keep} (the files of the
   * checkpoint in place), and the temporary files of writes a kill interrupted ({@link
   * AtomicFiles}); other files are left alone.
   */
  static void deleteAllBut(Path runFolder, Collection<String> keep) throws IOException {
    Path dir = runFolder.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      return;
    }
    Set<String> kept = new HashSet<>();
    keep.forEach(sha256 -> kept.add(sha256 + SUFFIX));
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        boolean stale = NAME.matcher(name).matches() && !kept.contains(name);
        boolean temporary = name.startsWith(".") && name.endsWith(".tmp");
        if (stale || temporary) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static Path fileOf(Path runFolder, String sha256) {
    return runFolder.resolve(DIR).resolve(sha256 + SUFFIX);
  }
}
