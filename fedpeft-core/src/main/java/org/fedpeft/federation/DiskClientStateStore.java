package org.fedpeft.federation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFile;

/**
 * {@link ClientStateStore} with one safetensors file per client, {@code <encoded id>.safetensors},
 * written atomically (temporary file, fsync, rename). The id is kept as is where it consists of
 * letters, digits, {@code -}, {@code _} and (not first) {@code .}; every other byte of its UTF-8
 * form is written {@code %XX}, so any id maps to a distinct, safe file name. The file's metadata
 * records the id, and loading checks it; the state's values are metadata entries {@code
 * value.<key>}.
 *
 * <p>A state saved with its round records it ({@code round}); when a later round's state replaces
 * it, it is kept in {@code previous/} ({@link #loadAsOf}), so that a round the server runs again
 * after its own crash starts from the state the first attempt started from, as in a simulation.
 * {@code run-id.txt} names the run the state belongs to ({@link #bindTo}); one that is not UTF-8 is
 * refused naming it and the first byte that is not ({@link JsonFiles#readUtf8}).
 */
final class DiskClientStateStore implements ClientStateStore {

  private static final String SUFFIX = ".safetensors";
  private static final String ROUND = "round";
  private static final String PREVIOUS = "previous";
  private static final String RUN_FILE = "run-id.txt";

  private final Path dir;

  DiskClientStateStore(Path dir) {
    this.dir = Objects.requireNonNull(dir, "dir");
  }

  @Override
  public Optional<ClientState> load(String clientId) throws IOException {
    Path file = fileOf(clientId);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(state(readState(file), file, clientId));
  }

  /**
   * The state file {@code file}, which exists. A folder in its place is refused as a file that is
   * not a state is (bad input naming it), rather than failing the read as the machine's I/O errors
   * do.
   */
  private static SafetensorsFile readState(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(file + " is a folder, not a client's saved state");
    }
    return Safetensors.read(file);
  }

  private static ClientState state(SafetensorsFile f, Path file, String clientId) {
    return ClientState.parse(f, clientId, file.toString());
  }

  @Override
  public void save(String clientId, ClientState state) throws IOException {
    write(fileOf(clientId), clientId, state, null);
  }

  @Override
  public void save(String clientId, int round, ClientState state) throws IOException {
    Path file = fileOf(clientId);
    Integer current = Files.exists(file) ? roundOf(readState(file)) : null;
    if (current != null && current < round) {
      // The state the round started from: kept until the next round's state replaces this one.
      Path previous = previousOf(clientId);
      Files.createDirectories(previous.getParent());
      Files.move(
          file, previous, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    write(file, clientId, state, round);
  }

  @Override
  public Optional<ClientState> loadAsOf(String clientId, int round) throws IOException {
    Path file = fileOf(clientId);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    SafetensorsFile f = readState(file);
    Integer saved = roundOf(f);
    if (saved == null || saved <= round) {
      return Optional.of(state(f, file, clientId));
    }
    // Saved in a later round than asked for: the round is being run again.
    Path previous = previousOf(clientId);
    if (Files.exists(previous)) {
      SafetensorsFile p = readState(previous);
      Integer before = roundOf(p);
      if (before != null && before <= round) {
        return Optional.of(state(p, previous, clientId));
      }
    }
    return Optional.empty(); // the client had no state before the round it saved first
  }

  private static void write(Path file, String clientId, ClientState state, Integer round)
      throws IOException {
    Map<String, String> meta = state.metadata(clientId);
    if (round != null) {
      meta.put(ROUND, Integer.toString(round));
    }
    Safetensors.writeChecked(file, state.tensors(), meta);
  }

  /** The round a state file was saved in, or null for one saved without. */
  private static Integer roundOf(SafetensorsFile f) throws IOException {
    String r = f.metadata().get(ROUND);
    try {
      return r == null ? null : Integer.valueOf(r);
    } catch (NumberFormatException e) {
      throw new IOException("client state: round '" + r + "' is not a number", e);
    }
  }

  private Path previousOf(String clientId) {
    return dir.resolve(PREVIOUS).resolve(fileOf(clientId).getFileName());
  }

  @Override
  public synchronized String boundRun() throws IOException {
    Path marker = dir.resolve(RUN_FILE);
    return Files.exists(marker) && !clientIds().isEmpty() ? runIn(marker) : null;
  }

  /**
   * The run {@code marker} (run-id.txt) names: its text, strictly UTF-8, stripped.
   *
   * @throws org.fedpeft.io.JsonFileException naming the file if it is not UTF-8
   */
  private static String runIn(Path marker) throws IOException {
    return JsonFiles.readUtf8(marker).strip();
  }

  @Override
  public synchronized void bindTo(String run) throws IOException {
    Path marker = dir.resolve(RUN_FILE);
    String bound = Files.exists(marker) ? runIn(marker) : null;
    if (run.equals(bound)) {
      return;
    }
    if (bound != null && !clientIds().isEmpty()) {
      throw new IOException(
          dir
              + " holds the LOCAL client state of another run ("
              + bound
              + "; the server's run is "
              + run
              + "): a new run needs a new --state folder, or this one emptied; a client of the"
              + " same run keeps its folder when it restarts, and so does one of a resumed server");
    }
    Files.createDirectories(dir);
    org.fedpeft.io.AtomicFiles.writeString(marker, run + "\n");
  }

  @Override
  public void delete(String clientId) throws IOException {
    Files.deleteIfExists(fileOf(clientId));
    Files.deleteIfExists(previousOf(clientId));
  }

  @Override
  public SortedSet<String> clientIds() throws IOException {
    TreeSet<String> ids = new TreeSet<>();
    if (!Files.isDirectory(dir)) {
      return ids;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        String encoded = name.substring(0, name.length() - SUFFIX.length());
        String id = decode(encoded);
        if (id != null && encode(id).equals(encoded)) {
          ids.add(id);
        }
      }
    }
    return Collections.unmodifiableSortedSet(ids);
  }

  private Path fileOf(String clientId) {
    Objects.requireNonNull(clientId, "clientId");
    if (clientId.isEmpty()) {
      throw new IllegalArgumentException("client id is empty");
    }
    return dir.resolve(encode(clientId) + SUFFIX);
  }

  /** The file-name form of an id. */
  static String encode(String id) {
    StringBuilder b = new StringBuilder();
    byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < utf8.length; i++) {
      int c = utf8[i] & 0xff;
      boolean safe =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || (c == '.' && i > 0);
      if (safe) {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        b.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  /** The id of a file-name form, or null if it is not one. */
  static String decode(String encoded) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        if (i + 2 >= encoded.length()) {
          return null;
        }
        int hi = Character.digit(encoded.charAt(i + 1), 16);
        int lo = Character.digit(encoded.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c < 128) {
        bytes.write(c);
      } else {
        return null;
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
