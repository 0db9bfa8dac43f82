package org.fedpeft.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.ServerState;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.JsonFiles;

/**
 * A run's checkpoint: the server state after the last aggregated round, how far metrics.jsonl goes,
 * the traffic so far and every client's LOCAL state, so that a run killed at any moment resumes
 * from one consistent point. It is the file {@value #FILE} of the run folder, written in one atomic
 * rename, and the files it names:
 *
 * <ul>
 *   <li>the metrics lines are metrics.jsonl's first lines, which the checkpoint counts ({@link
 *       MetricsPrefix}: their number, byte length and SHA-256); the file is synced to disk before
 *       the checkpoint that counts them is renamed into place, and a resume takes the lines from
 *       it, refusing a file that does not begin with them;
 *   <li>the communication log is kept as its two totals ({@code sim.traffic}: bytes down and up); a
 *       resumed run's log continues from them ({@link CommunicationLog#continuing});
 *   <li>each client's LOCAL state is a file of its own in {@code checkpoint/local/}, named by the
 *       SHA-256 of its content ({@link LocalStateFiles}); the checkpoint holds the index from
 *       client id to file. A {@link Writer} writes the files of the clients whose state changed
 *       since its last checkpoint only, before the checkpoint that names them, and deletes the
 *       files no longer named once that checkpoint is in place.
 * </ul>
 *
 * <p>So a checkpoint's own size grows with the server state and the number of clients with a state,
 * not with the rounds run, and each round writes the states it changed. Checkpoints written before
 * this layout, which hold the lines ({@code sim.metrics}), the whole communication log ({@code
 * sim.comm}) and the states ({@link LocalStateCheckpoint}) inside their file, are read as before;
 * the next checkpoint of a run resumed from one is written in this layout.
 *
 * <p>A round is checkpointed as soon as it is aggregated (noised and charged, under DP), before
 * anything of it leaves the process: its evaluation, its metrics line, the console. So the
 * checkpoint holds that round's metrics line without its evaluation ({@code pendingLine}); a
 * resumed run evaluates the checkpointed model again (the evaluation is deterministic) and writes
 * the line, instead of running the round again with fresh noise. Checkpoints written before this
 * order have no pending line: their state's round has its line among {@code metricLines}.
 *
 * @param state the server state (without the extras this class adds)
 * @param metricLines the metrics.jsonl lines written before the state's round was aggregated (the
 *     rounds before it, and the {@code round_failed} lines of the failed attempts among them:
 *     {@link RunRecorder#resumeMetrics}); with no pending line, also the state's round's own line
 * @param comm the communication log so far (without the evaluation of the pending round); of a
 *     loaded checkpoint, a log with the totals alone (or every entry, from a checkpoint of the
 *     layout before)
 * @param local the clients' LOCAL states held in memory, by id: every client's, except in a
 *     checkpoint {@link #loadToResume}d, which holds those that a {@link Writer} keeps in memory
 *     (states with values, or without tensors) and names the others' files only, in {@code
 *     localFiles}
 * @param pendingLine the metrics line of the state's round without its evaluation, as JSON, or null
 *     if that round's line is among {@code metricLines} (or no round ran yet)
 * @param localFiles of a loaded checkpoint, the SHA-256 that names the file of each client's state
 *     ({@link LocalStateFiles}), each checked against its file's content as it was read; empty for
 *     a checkpoint of the layout before or one made in memory
 */
public record RunCheckpoint(
    ServerState state,
    List<String> metricLines,
    CommunicationLog comm,
    SortedMap<String, ClientState> local,
    String pendingLine,
    SortedMap<String, String> localFiles) {

  /** A checkpoint whose states have no files yet (one made in memory, not {@link #load}ed). */
  public RunCheckpoint(
      ServerState state,
      List<String> metricLines,
      CommunicationLog comm,
      SortedMap<String, ClientState> local,
      String pendingLine) {
    this(state, metricLines, comm, local, pendingLine, new TreeMap<>());
  }

  /**
   * A checkpoint without a pending line, as the checkpoints written before rounds were checkpointed
   * ahead of their evaluation are.
   */
  public RunCheckpoint(
      ServerState state,
      List<String> metricLines,
      CommunicationLog comm,
      SortedMap<String, ClientState> local) {
    this(state, metricLines, comm, local, null);
  }

  /** The checkpoint's path inside a run folder. */
  public static final String FILE = "checkpoint/state.safetensors";

  /** The extent of metrics.jsonl the checkpoint counts ({@link MetricsPrefix}). */
  private static final String METRICS_PREFIX = "sim.metrics_prefix";

  /** The traffic totals: {@code {"down": .., "up": ..}}. */
  private static final String TRAFFIC = "sim.traffic";

  private static final String PENDING = "sim.pending_line";

  /** The metrics lines themselves, in checkpoints of the layout before. */
  static final String OLD_METRICS = "sim.metrics";

  /** The whole communication log, in checkpoints of the layout before. */
  static final String OLD_COMM = "sim.comm";

  /**
   * Writes the checkpoint into the run folder: the files of the clients' states that are not there
   * yet, then the checkpoint file atomically, then the deletion of the state files it does not
   * name. The states of {@link #localFiles} that {@link #local} does not hold (a checkpoint {@link
   * #loadToResume}d) are named again and must be in the run folder. metrics.jsonl must begin with
   * {@link #metricLines} for the checkpoint to be loaded.
   *
   * @throws IllegalArgumentException naming the file if a state named only by its file is not in
   *     the run folder
   */
  public void save(Path runFolder) throws IOException {
    SortedMap<String, String> notHeld = new TreeMap<>(localFiles);
    notHeld.keySet().removeAll(local.keySet());
    new Writer(runFolder, local, notHeld).save(state, metricLines, comm, pendingLine);
  }

  /**
   * Reads the checkpoint of a run folder, and the metrics lines and client states it names: every
   * client's state in {@link #local}. Reads, changes nothing.
   *
   * @throws IllegalArgumentException naming the file if metrics.jsonl does not begin with the lines
   *     the checkpoint counts ({@link MetricsPrefix#read}) or a client's state file is missing or
   *     corrupted
   */
  public static RunCheckpoint load(Path runFolder) throws IOException {
    return load(runFolder, s -> true);
  }

  /**
   * Reads the checkpoint of a run folder as {@link #load} does, checking every client's state file
   * the same way (and refusing in the same words), but keeps in {@link #local} only the states that
   * a {@link Writer} keeps in memory (those with values, or without tensors): a state with tensors
   * alone is dropped once its file is checked, and {@link #localFiles} names it, so that resuming a
   * run holds one such state at a time rather than every client's. For {@link Writer#Writer(Path,
   * RunCheckpoint)}. The states of a checkpoint of the layout before, which holds them inside its
   * file, are all kept, as {@link #load} keeps them. Reads, changes nothing.
   *
   * @throws IllegalArgumentException as {@link #load}
   */
  public static RunCheckpoint loadToResume(Path runFolder) throws IOException {
    return load(runFolder, s -> !Writer.releasable(s));
  }

  /** {@link #load}, keeping in {@link #local} the states of files that {@code keep} accepts. */
  private static RunCheckpoint load(Path runFolder, Predicate<ClientState> keep)
      throws IOException {
    Path file = runFolder.resolve(FILE);
    ServerState saved = ServerState.load(file);
    Map<String, String> extra = saved.extra();
    List<String> lines = metricLines(runFolder, file, extra);
    String pending = extra.get(PENDING);
    if (pending != null) {
      CheckpointJson.read(pending, file + ": the pending round's line " + PENDING, o -> o);
    }
    CommunicationLog comm =
        extra.containsKey(TRAFFIC)
            ? traffic(extra.get(TRAFFIC), file)
            : extra.containsKey(OLD_COMM)
                ? CommunicationLog.fromJson(extra.get(OLD_COMM))
                : new CommunicationLog();
    SortedMap<String, String> index = LocalStateFiles.index(saved);
    SortedMap<String, ClientState> local =
        index != null
            ? LocalStateFiles.readAll(runFolder, index, keep)
            : LocalStateCheckpoint.take(saved);
    if (index == null) {
      index = new TreeMap<>();
    }
    ServerState clean =
        LocalStateCheckpoint.strip(
            saved.toBuilder()
                .removeExtra(METRICS_PREFIX)
                .removeExtra(TRAFFIC)
                .removeExtra(PENDING)
                .removeExtra(LocalStateFiles.INDEX)
                .removeExtra(OLD_METRICS)
                .removeExtra(OLD_COMM)
                .build());
    return new RunCheckpoint(clean, List.copyOf(lines), comm, local, pending, index);
  }

  /**
   * The metrics lines that the checkpoint of a run folder counts, read from metrics.jsonl as {@link
   * #load} reads them and refused in the same words; the clients' states are not read. For the
   * report of a finished run, whose last checkpoint counts every line but a {@code stopped_early}
   * one. Reads, changes nothing.
   *
   * @throws IllegalArgumentException as {@link #load} does for metrics.jsonl ({@link
   *     MetricsPrefix#read})
   */
  public static List<String> countedMetricLines(Path runFolder) throws IOException {
    Path file = runFolder.resolve(FILE);
    return metricLines(runFolder, file, ServerState.load(file).extra());
  }

  /**
   * The metrics lines of the checkpoint {@code file} of {@code runFolder}, whose extra entries are
   * {@code extra}: those of metrics.jsonl it counts ({@link MetricsPrefix#read}), or those a
   * checkpoint of the layout before holds.
   */
  private static List<String> metricLines(Path runFolder, Path file, Map<String, String> extra)
      throws IOException {
    List<String> lines = new ArrayList<>();
    if (extra.containsKey(METRICS_PREFIX)) {
      lines.addAll(
          MetricsPrefix.fromJson(extra.get(METRICS_PREFIX), file.toString()).read(runFolder, file));
    } else if (extra.containsKey(OLD_METRICS)) {
      for (JsonElement e : oldMetrics(extra.get(OLD_METRICS), file)) {
        lines.add(e.getAsString());
      }
    }
    return lines;
  }

  /**
   * The metrics lines a checkpoint of the layout before holds ({@link #OLD_METRICS}), a JSON array
   * read strictly ({@link JsonFiles#parse}).
   *
   * @throws IllegalArgumentException naming the checkpoint if it is not strict JSON or not an array
   */
  private static JsonArray oldMetrics(String json, Path file) {
    try {
      JsonElement e = JsonFiles.parse(json);
      if (!e.isJsonArray()) {
        throw new IllegalArgumentException("not a JSON array but " + JsonFiles.describe(e));
      }
      return e.getAsJsonArray();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          file
              + ": the metrics lines "
              + OLD_METRICS
              + " are not readable ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  private static String trafficJson(CommunicationLog comm) {
    JsonObject o = new JsonObject();
    o.addProperty("down", comm.total(CommunicationLog.Direction.DOWN));
    o.addProperty("up", comm.total(CommunicationLog.Direction.UP));
    return o.toString();
  }

  private static CommunicationLog traffic(String json, Path file) {
    return CheckpointJson.read(
        json,
        file + ": the traffic totals " + TRAFFIC,
        o -> CommunicationLog.continuing(o.get("down").getAsLong(), o.get("up").getAsLong()));
  }

  /**
   * Writes the checkpoints of one run one after another, each writing the LOCAL states of the
   * clients that changed since the one before: the run's clients keep their state in {@link
   * #clientStates()}, which notes every client whose state is saved or deleted there. A state with
   * tensors (FedDPA's local adapter, FedLoRA's LoRA: hundreds of KB a client on MiniLM) is held in
   * memory only until a checkpoint has written its file, and is read back from that file (its
   * content checked against its name) when its client next asks for it, so that memory holds the
   * states of the clients of a round or two, not of every client of the run; a state with values (a
   * sample-level accountant, a few KB, beside any tensors) stays in memory, as the run reads every
   * client's after every round.
   *
   * <p>The clients' store is thread-safe, and a client may save while {@link #save} runs (one that
   * went on past its round's timeout, {@code FederatedRound}): the store keeps the state before it
   * notes the client, and {@link #save} takes a client off its notes before it reads the state, so
   * such a state is written by that checkpoint or noted for the next one, never lost.
   */
  public static final class Writer {

    private final Path runFolder;

    /**
     * The states held in memory: those not yet in a file of the checkpoint in place (changed since
     * it), and those without tensors.
     */
    private final ClientStateStore memory = ClientStateStore.inMemory();

    /** The clients whose state was deleted and whose file the checkpoint in place still names. */
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();

    /** Orders a client's save or delete against {@link #release}'s check of the same client. */
    private final Object saving = new Object();

    /**
     * The clients whose state was saved or deleted since the last checkpoint (or never written).
     */
    private final Set<String> changed = ConcurrentHashMap.newKeySet();

    /**
     * The file ({@link LocalStateFiles}) of each client's state, as the last checkpoint names it.
     */
    private volatile SortedMap<String, String> files = new TreeMap<>();

    private final ClientStateStore clients = new NotingStore();

    private final MetricsPrefix.Counter metrics = new MetricsPrefix.Counter();

    /**
     * A writer for the run folder, its clients' states those given (none for a new run), which its
     * first checkpoint writes where their files are missing. Reads, writes nothing.
     */
    public Writer(Path runFolder, Map<String, ClientState> initial) throws IOException {
      this(runFolder, initial, Map.of());
    }

    /**
     * A writer that continues the run whose checkpoint {@code resumed} was {@link #load}ed (or
     * {@link #loadToResume}d) from the run folder: its clients' states are the checkpoint's, each
     * in the file the checkpoint names ({@link #localFiles}), which its first checkpoint names
     * again unless the state changes; so an unchanged state is neither encoded nor hashed again,
     * and a state the checkpoint names but does not hold is read from its file when its client asks
     * for it. The states of a checkpoint of the layout before, which have no files, are written by
     * its first checkpoint. Reads, writes nothing.
     */
    public Writer(Path runFolder, RunCheckpoint resumed) throws IOException {
      this(runFolder, resumed.local(), resumed.localFiles());
    }

    /**
     * A writer whose clients' states are {@code initial} and those {@code named} only: those in
     * {@code named} in the files so named (checked when they were read), the others in the files
     * their content names if there. A state named but not in {@code initial} must have its file in
     * the run folder.
     *
     * @throws IllegalArgumentException naming the file if a state named only by its file has no
     *     file in the run folder
     */
    private Writer(Path runFolder, Map<String, ClientState> initial, Map<String, String> named)
        throws IOException {
      this.runFolder = runFolder;
      for (Map.Entry<String, String> e : named.entrySet()) {
        if (!initial.containsKey(e.getKey())) {
          LocalStateFiles.requireFile(runFolder, e.getKey(), e.getValue());
          files.put(e.getKey(), e.getValue());
        }
      }
      for (Map.Entry<String, ClientState> e : initial.entrySet()) {
        String file =
            named.containsKey(e.getKey())
                ? named.get(e.getKey())
                : LocalStateFiles.existing(runFolder, e.getKey(), e.getValue());
        if (file != null) {
          files.put(e.getKey(), file);
        } else {
          changed.add(e.getKey());
        }
        if (file == null || !releasable(e.getValue())) {
          memory.save(e.getKey(), e.getValue());
        }
      }
    }

    /**
     * Whether a state whose file is written is dropped from memory: one with tensors and no values.
     * A state with values (a sample-level accountant) is read after every round, for the epsilons
     * of metrics.jsonl, so it stays.
     */
    static boolean releasable(ClientState state) {
      return !state.tensors().isEmpty() && state.values().isEmpty();
    }

    /**
     * The clients whose state is held in memory (the others' are in the files of the checkpoint in
     * place), sorted.
     */
    SortedSet<String> inMemory() throws IOException {
      return memory.clientIds();
    }

    /**
     * The store in which the run's clients keep their LOCAL state between rounds: every state in
     * the next checkpoint; in memory until a checkpoint's file holds it, then (a state with
     * tensors) read back from that file.
     */
    public ClientStateStore clientStates() {
      return clients;
    }

    /**
     * Writes a checkpoint of the run folder: the files of the states changed since the last one
     * (each atomically, and then their folder synced once; a kill leaves those of the checkpoint in
     * place untouched), pause point {@code round-<t>-local-states-written} (t the state's round),
     * metrics.jsonl synced to disk, the checkpoint file atomically, and then the deletion of the
     * state files it does not name.
     *
     * @param state the server state
     * @param metricLines the lines metrics.jsonl begins with ({@link RunCheckpoint#metricLines}),
     *     which begin with those of the writer's checkpoint before
     * @param comm the communication log so far, whose totals are kept
     * @param pendingLine {@link RunCheckpoint#pendingLine}
     * @throws IOException if a file cannot be written; the checkpoint in place is then the last
     *     one, and the next call writes the states this one did not
     */
    public void save(
        ServerState state, List<String> metricLines, CommunicationLog comm, String pendingLine)
        throws IOException {
      SortedSet<String> ids = new TreeSet<>(changed);
      changed.removeAll(ids);
      SortedMap<String, String> next = new TreeMap<>(files);
      try {
        for (String id : ids) {
          Optional<ClientState> s = stateOf(id);
          if (s.isPresent()) {
            next.put(id, LocalStateFiles.write(runFolder, id, s.get()));
          } else {
            next.remove(id);
          }
        }
        if (!ids.isEmpty()) {
          // One sync of the folder for every file written, before the checkpoint names them.
          LocalStateFiles.syncFolder(runFolder);
        }
        PausePoint.reach("round-" + state.round() + "-local-states-written");
        AtomicFiles.fsync(runFolder.resolve(MetricsPrefix.FILE));
        ServerState.Builder b =
            state.toBuilder()
                .putExtra(METRICS_PREFIX, metrics.of(metricLines).toJson())
                .putExtra(TRAFFIC, trafficJson(comm));
        if (pendingLine != null) {
          b.putExtra(PENDING, pendingLine);
        }
        LocalStateFiles.putIndex(b, next);
        b.build().save(runFolder.resolve(FILE));
      } catch (IOException | RuntimeException e) {
        changed.addAll(ids);
        throw e;
      }
      files = next;
      release(ids);
      LocalStateFiles.deleteAllBut(runFolder, next.values());
    }

    /**
     * Drops from memory the states of {@code written} (the clients whose state the checkpoint just
     * in place wrote or deleted) that a file of it now holds, unless they changed again since; the
     * deleted ones are no longer named, so no longer marked.
     */
    private void release(Set<String> written) throws IOException {
      synchronized (saving) {
        for (String id : written) {
          if (changed.contains(id)) {
            continue; // saved or deleted again while the checkpoint was written: the next one's
          }
          deleted.remove(id);
          Optional<ClientState> s = memory.load(id);
          if (s.isPresent() && files.containsKey(id) && releasable(s.get())) {
            memory.delete(id);
          }
        }
      }
    }

    /** A client's state: in memory, else in the file of the checkpoint in place, else none. */
    private Optional<ClientState> stateOf(String clientId) throws IOException {
      Optional<ClientState> held = memory.load(clientId);
      if (held.isPresent() || deleted.contains(clientId)) {
        return held;
      }
      // Dropped from memory only after the checkpoint naming its file is in place (release).
      String file = files.get(clientId);
      return file == null
          ? Optional.empty()
          : Optional.of(LocalStateFiles.read(runFolder, clientId, file));
    }

    /**
     * Deletes the state files in the run folder that hold none of the writer's states, as its
     * checkpoints do after they are in place: a resumed run's leftovers of the process killed
     * (files of a checkpoint it did not finish, or that it finished and had not yet tidied).
     */
    public void deleteUnnamedFiles() throws IOException {
      LocalStateFiles.deleteAllBut(runFolder, files.values());
    }

    /**
     * The clients' states ({@link #stateOf}), noting the clients whose state changes in {@link
     * #changed}.
     */
    private final class NotingStore implements ClientStateStore {

      @Override
      public Optional<ClientState> load(String clientId) throws IOException {
        return stateOf(clientId);
      }

      @Override
      public void save(String clientId, ClientState state) throws IOException {
        synchronized (saving) {
          memory.save(clientId, state);
          deleted.remove(clientId);
          changed.add(clientId);
        }
      }

      @Override
      public void delete(String clientId) throws IOException {
        synchronized (saving) {
          deleted.add(clientId);
          memory.delete(clientId);
          changed.add(clientId);
        }
      }

      @Override
      public SortedSet<String> clientIds() throws IOException {
        SortedSet<String> ids = new TreeSet<>(files.keySet());
        ids.removeAll(deleted);
        ids.addAll(memory.clientIds());
        return ids;
      }
    }
  }
}
