package org.fedpeft.run;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.fedpeft.client.ClientData;
import org.fedpeft.engine.Engines;
import org.fedpeft.federation.ClientFailure;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.JsonFileException;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.JsonOut;
import org.fedpeft.io.RunFolder;
import org.fedpeft.train.FrozenBase;

/**
 * What a run writes into its folder besides the checkpoint and the adapter: {@code config.json}
 * (the resolved config), {@code manifest.json} (versions, JVM, OS, git commit, data hashes, privacy
 * note), {@code partition.json} (label histogram per client), {@code metrics.jsonl} (one line per
 * round; only values a resumed run reproduces exactly, and a line for each round attempt that
 * failed, {@link #appendFailedRound}), {@code timings.jsonl} (wall times) and {@code summary.json}.
 * Whole files are written atomically; the two JSONL files are appended line by line.
 */
public final class RunRecorder {

  /** The {@code event} of the metrics line of a round attempt that failed. */
  public static final String FAILED_ROUND = "round_failed";

  private final Path out;
  private final List<String> metricLines = new ArrayList<>();

  /**
   * The {@code round_failed} lines that {@link #resumeMetrics(int)} kept from metrics.jsonl after a
   * checkpointed round whose line is still to be written: recorded after that line ({@link
   * #appendMetrics(JsonObject)}), where they stand in the file.
   */
  private final List<String> heldFailedLines = new ArrayList<>();

  /**
   * Whether {@link #resumeMetrics(int)} was told of a pending round whose line is not yet recorded:
   * the next {@link #appendMetrics(JsonObject)} rewrites metrics.jsonl instead of appending.
   */
  private boolean roundPending;

  /** The bytes up and down of the recorded {@code round_failed} lines ({@link #record}). */
  private long failedUp;

  private long failedDown;

  /**
   * @param out the run folder
   * @param lines the metrics lines already recorded (from a checkpoint), or none
   */
  public RunRecorder(Path out, List<String> lines) {
    this.out = out;
    for (String line : lines) {
      record(line, recorded(line));
    }
  }

  /** Records a metrics line, and counts the traffic of a {@code round_failed} one. */
  private void record(String line, JsonObject o) {
    metricLines.add(line);
    if (isFailedRound(o)) {
      failedUp += count(o, "bytes_up");
      failedDown += count(o, "bytes_down");
    }
  }

  private static boolean isFailedRound(JsonObject o) {
    JsonElement event = o == null ? null : o.get("event");
    return event != null
        && event.isJsonPrimitive()
        && FAILED_ROUND.equals(event.getAsJsonPrimitive().getAsString());
  }

  /** The line's {@code key} as a byte count; 0 if absent (a line written before lines had it). */
  private static long count(JsonObject o, String key) {
    JsonElement v = o.get(key);
    return v != null && v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
        ? v.getAsLong()
        : 0;
  }

  /** The run folder. */
  public Path out() {
    return out;
  }

  /** The metrics lines so far, in order. */
  public List<String> metricLines() {
    return Collections.unmodifiableList(metricLines);
  }

  /** Starts a new run's files: config.json written, metrics.jsonl and timings.jsonl removed. */
  public void start(SimulationConfig config) throws IOException {
    AtomicFiles.writeString(out.resolve("config.json"), pretty(config.toJson()));
    Files.deleteIfExists(out.resolve("metrics.jsonl"));
    Files.deleteIfExists(out.resolve("timings.jsonl"));
  }

  /**
   * Makes metrics.jsonl a resumed run's: the recorded lines (the checkpoint's), then the {@code
   * round_failed} lines that metrics.jsonl holds after them, which are recorded from now on (the
   * next checkpoint holds them); any other line after the recorded ones (an interrupted round's, a
   * {@code stopped_early} line that the resumed run will write again) is dropped. A file that does
   * not begin with the recorded lines, or a line that is not a JSON object (cut by a kill), keeps
   * nothing after them. With no line to keep and none recorded, metrics.jsonl is removed.
   *
   * <p>So the traffic of an attempt a privacy budget stopped in a process killed before its
   * summary.json is not counted, though it crossed the network: a {@code stopped_early} line is the
   * run's closing record (it holds the last completed round's evaluation, and readers take it as
   * the run's one stop), and the resumed run, meeting the same stop, writes its own.
   *
   * <p>For a checkpoint that holds a round whose line is still to be written, see {@link
   * #resumeMetrics(int)}.
   */
  public void resumeMetrics() throws IOException {
    resumeMetrics(0);
  }

  /**
   * {@link #resumeMetrics()} for a checkpoint that holds round {@code pendingRound} aggregated but
   * not released ({@link RunCheckpoint#pendingLine}; 0 for none): metrics.jsonl keeps, after the
   * recorded lines, that round's line if an earlier process wrote it, and the {@code round_failed}
   * lines after it (all of later attempts); the failed lines are recorded only once the resumed run
   * has recorded the round's line ({@link #appendMetrics(JsonObject)}), so that the lines stay in
   * the file's order and a resume that dies before it loses none of them.
   */
  public void resumeMetrics(int pendingRound) throws IOException {
    Path file = out.resolve("metrics.jsonl");
    List<String> tail = new ArrayList<>();
    for (String line : linesAfterRecorded()) {
      JsonObject o = jsonObject(line);
      if (isFailedRound(o)) {
        tail.add(line);
        if (pendingRound > 0) {
          heldFailedLines.add(line);
        } else {
          record(line, o);
        }
      } else if (pendingRound > 0 && isRoundLine(o, pendingRound)) {
        tail.add(line);
      }
    }
    roundPending = pendingRound > 0;
    List<String> kept = new ArrayList<>(metricLines);
    if (roundPending) {
      kept.addAll(tail);
    }
    if (kept.isEmpty()) {
      Files.deleteIfExists(file);
    } else {
      AtomicFiles.writeString(file, String.join("\n", kept) + "\n");
    }
  }

  /**
   * Whether a metrics line is the line of completed round {@code round} ({@code "event": "round"}).
   */
  private static boolean isRoundLine(JsonObject o, int round) {
    JsonElement event = o.get("event");
    JsonElement r = o.get("round");
    return event != null
        && event.isJsonPrimitive()
        && "round".equals(event.getAsString())
        && r != null
        && r.isJsonPrimitive()
        && r.getAsJsonPrimitive().isNumber()
        && r.getAsInt() == round;
  }

  /**
   * The lines of metrics.jsonl after the recorded ones; none if the file does not begin with the
   * recorded lines. Each line is decoded as strict UTF-8 and read as strict JSON ({@link
   * JsonFiles#parse}). The file's last line, which a kill may have cut (inside a character, too),
   * is left out if it is not a JSON object; any other such line means the file was damaged or
   * edited, and is refused. Reads the file, changes nothing.
   *
   * @throws JsonFileException naming metrics.jsonl and the line if a line before the last one is
   *     not UTF-8 or not a JSON object in strict JSON
   */
  private List<String> linesAfterRecorded() throws IOException {
    Path file = out.resolve("metrics.jsonl");
    List<byte[]> written = Files.isRegularFile(file) ? lines(Files.readAllBytes(file)) : List.of();
    List<String> after = new ArrayList<>();
    if (written.size() < metricLines.size()) {
      return after;
    }
    for (int i = 0; i < metricLines.size(); i++) {
      if (!metricLines.get(i).equals(utf8(written.get(i)))) {
        return after;
      }
    }
    return wholeLines(file, written, metricLines.size(), false);
  }

  /**
   * The lines of JSON-lines {@code file} ({@code written}, its lines) from index {@code from} on,
   * each decoded as strict UTF-8 and read as strict JSON, but the file's last line when it is not a
   * JSON object: a kill (or a power loss) cut it while it was appended. Blank lines are kept unread
   * if {@code blankAllowed}.
   *
   * @throws JsonFileException naming the file and the line if a line before the last one is not
   *     UTF-8 or not a JSON object in strict JSON
   */
  private static List<String> wholeLines(
      Path file, List<byte[]> written, int from, boolean blankAllowed) {
    List<String> kept = new ArrayList<>();
    for (int i = from; i < written.size(); i++) {
      String line = utf8(written.get(i));
      if (!(blankAllowed && line != null && line.isBlank()) && jsonObject(line) == null) {
        if (i == written.size() - 1) {
          break; // cut while it was appended
        }
        if (line == null) {
          throw new JsonFileException(file, "line " + (i + 1) + ": not valid UTF-8", null);
        }
        JsonFiles.parseLine(file, i + 1, line); // throws, saying why
      }
      kept.add(line);
    }
    return kept;
  }

  /**
   * The lines of {@code bytes}, split at LF bytes (a CR before one dropped), without a last empty
   * one.
   */
  private static List<byte[]> lines(byte[] bytes) {
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length ? i > start : bytes[i] == '\n') {
        int end = i > start && bytes[i - 1] == '\r' ? i - 1 : i;
        lines.add(Arrays.copyOfRange(bytes, start, end));
        start = i + 1;
      }
    }
    return lines;
  }

  /** {@code bytes} decoded as strict UTF-8, or null if they are not UTF-8. */
  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * The {@code round_failed} lines of metrics.jsonl after the recorded ones, which {@link
   * #resumeMetrics} keeps ({@link #linesAfterRecorded}). Reads the file, changes nothing.
   */
  private List<String> failedLinesToKeep() throws IOException {
    List<String> kept = new ArrayList<>();
    for (String line : linesAfterRecorded()) {
      if (isFailedRound(jsonObject(line))) {
        kept.add(line);
      }
    }
    return kept;
  }

  /**
   * The numbers of the rounds whose attempt failed ({@code round_failed} lines), in order: those
   * recorded so far and those {@link #resumeMetrics} would keep from metrics.jsonl. Reads the file,
   * changes nothing, so a resume can be refused before it touches the folder.
   */
  public List<Integer> failedRoundNumbers() throws IOException {
    List<Integer> rounds = new ArrayList<>();
    List<String> lines = new ArrayList<>(metricLines);
    lines.addAll(failedLinesToKeep());
    for (String l : lines) {
      JsonObject o = recorded(l);
      if (isFailedRound(o) && o.get("round") != null) {
        rounds.add(o.get("round").getAsInt());
      }
    }
    return rounds;
  }

  /**
   * A recorded line ({@link #metricLines}: one this run wrote, or one of metrics.jsonl that a
   * checkpoint counts, whose bytes were checked against the SHA-256 it recorded, or a line the file
   * holds after them, read strictly by {@link #linesAfterRecorded}) as a JSON object, or null if it
   * is not one. Read leniently, as before: an edit of these lines is refused by that check, and a
   * run started before fedpeft wrote strict JSON (2 December) holds NaN where a value was not
   * measured, which strict JSON refuses.
   */
  private static JsonObject recorded(String line) {
    try {
      JsonElement e = JsonParser.parseString(line);
      return e.isJsonObject() ? e.getAsJsonObject() : null;
    } catch (JsonParseException e) {
      return null;
    }
  }

  /**
   * The line as a JSON object, or null if it is not one in strict JSON ({@link JsonFiles#parse}:
   * null also for a repeated key, NaN or a comment).
   */
  private static JsonObject jsonObject(String line) {
    if (line == null) {
      return null;
    }
    try {
      JsonElement e = JsonFiles.parse(line);
      return e.isJsonObject() ? e.getAsJsonObject() : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The sum of {@code bytes_up} (or {@code bytes_down}) over the recorded {@code round_failed}
   * lines: the traffic of the failed round attempts of the run's earlier processes ({@link
   * #resumeMetrics}).
   */
  public long failedAttemptBytes(CommunicationLog.Direction direction) {
    return direction == CommunicationLog.Direction.UP ? failedUp : failedDown;
  }

  /** Appends one metrics line; returns its JSON. */
  public String appendMetrics(Map<String, Object> line) throws IOException {
    return append(JsonOut.line(line));
  }

  /**
   * Appends a round's metrics line; returns its JSON. The first one after {@link
   * #resumeMetrics(int)} was told of a pending round is that round's: it is recorded, then the
   * {@code round_failed} lines held back for after it, and metrics.jsonl is rewritten with them
   * (replacing that round's line as an earlier process wrote it: the same values in a simulation; a
   * server's evaluation on its clients may differ, e.g. a client that answered before and not now).
   */
  public String appendMetrics(JsonObject line) throws IOException {
    String json = JsonOut.line(line);
    if (!roundPending) {
      return append(json);
    }
    record(json, jsonObject(json));
    for (String held : heldFailedLines) {
      record(held, jsonObject(held));
    }
    heldFailedLines.clear();
    roundPending = false;
    AtomicFiles.writeString(out.resolve("metrics.jsonl"), String.join("\n", metricLines) + "\n");
    return json;
  }

  private String append(String json) throws IOException {
    record(json, jsonObject(json));
    appendLine(out.resolve("metrics.jsonl"), json);
    return json;
  }

  /**
   * Appends to metrics.jsonl the line of a round that failed ({@code "event": "round_failed"}),
   * without recording it among {@link #metricLines()}: no checkpoint is written after it, since the
   * run's state is still the last completed round's. A resumed run, which runs that round again,
   * keeps the line and records it ({@link #resumeMetrics()}), so that its traffic stays counted.
   * Returns its JSON.
   */
  public String appendFailedRound(Map<String, Object> line) throws IOException {
    String json = JsonOut.line(line);
    appendLine(out.resolve("metrics.jsonl"), json);
    return json;
  }

  /** Appends one timings line. */
  public void appendTimings(Map<String, Object> line) throws IOException {
    appendLine(out.resolve("timings.jsonl"), JsonOut.line(line));
  }

  /**
   * Makes timings.jsonl a resumed run's, before it appends to it: the lines {@link #linesToKeep}
   * keeps, so a last line that a kill or a power loss cut is dropped and a last line that lost its
   * line end gets one; otherwise the resumed run's first line would follow half a line, and
   * report.html, which reads every line strictly, would refuse the finished run. Every other line
   * stays (a round redone after a resume has two lines, as report.html expects).
   *
   * @throws JsonFileException as {@link #linesToKeep} does
   */
  public void resumeTimings() throws IOException {
    Path file = out.resolve("timings.jsonl");
    if (!Files.isRegularFile(file)) {
      return;
    }
    byte[] bytes = Files.readAllBytes(file);
    List<byte[]> written = lines(bytes);
    List<String> kept = wholeLines(file, written, 0, true);
    if (kept.size() == written.size() && bytes.length > 0 && bytes[bytes.length - 1] == '\n') {
      return; // whole
    }
    AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
  }

  /**
   * The lines of a run's timings.jsonl that a resume keeps ({@link #resumeTimings}), and those of a
   * finished run's metrics.jsonl that its report reads: every line, read as strict UTF-8 and strict
   * JSON, but the last one when it is not a JSON object (cut by a kill or a power loss while it was
   * appended; the same rule as for metrics.jsonl's lines after the recorded ones, which a resume
   * drops). Blank lines are kept and not read, as report.html skips them. Reads the file, changes
   * nothing.
   *
   * @throws JsonFileException naming the file and the line if a line before the last one is not
   *     UTF-8 or not a JSON object in strict JSON (a hand edit: a repeated key, ...)
   */
  public static List<String> linesToKeep(Path file) throws IOException {
    return wholeLines(file, lines(Files.readAllBytes(file)), 0, true);
  }

  /**
   * Client evaluations recorded as failed so far: the entries of every round's {@code
   * eval_failures}.
   */
  public int evalFailures() {
    int n = 0;
    for (String l : metricLines) {
      JsonObject o = recorded(l);
      if (o != null && o.has("eval_failures")) {
        n += o.getAsJsonArray("eval_failures").size();
      }
    }
    return n;
  }

  /**
   * Client updates recorded as failed so far in completed rounds: the entries of their {@code
   * failures} (a client that threw, such as one whose training diverged, timed out, was rejected or
   * was lost), but for clients that declined as their privacy budget was spent (counted in {@code
   * clients_declined}). The round that made a run stop ({@code round_failed}) is not counted: it
   * has no result.
   */
  public int fitFailures() {
    int n = 0;
    for (String l : metricLines) {
      JsonObject o = recorded(l);
      if (o != null && !isFailedRound(o)) {
        n += failedUpdates(o).size();
      }
    }
    return n;
  }

  /**
   * The entries of a metrics line's {@code failures} (client updates that failed in its round) but
   * for clients that declined as their privacy budget was spent; empty if it has none. What {@link
   * #fitFailures} counts and report.html warns of.
   */
  public static List<JsonObject> failedUpdates(JsonObject line) {
    List<JsonObject> out = new ArrayList<>();
    if (line.has("failures")) {
      for (JsonElement f : line.getAsJsonArray("failures")) {
        JsonElement kind = f.getAsJsonObject().get("kind");
        if (isFailedUpdate(kind == null ? null : kind.getAsString())) {
          out.add(f.getAsJsonObject());
        }
      }
    }
    return out;
  }

  /**
   * Whether a failure entry of this {@code kind} (a {@link ClientFailure.Kind} name, or null) is a
   * failed update: every kind but {@link ClientFailure.Kind#DECLINED}, a client that declined as
   * its privacy budget was spent. The one rule of {@link #failedUpdates} and the console's line.
   */
  public static boolean isFailedUpdate(String kind) {
    return !ClientFailure.Kind.DECLINED.name().equals(kind);
  }

  /**
   * Whether a metrics line is that of a round that released the noise alone: a completed round
   * ({@code "event": "round"}, not {@code skipped}) that accepted no client's update ({@code
   * accepted} 0). Only client-level DP under Poisson client sampling completes such a round (it
   * releases and charges every round: nobody sampled, or every sampled client's update failed; its
   * line has the {@code epsilon} after it, unless the noise multiplier is 0 and that is infinite);
   * any other strategy fails a round without an update, server.min_clients being at least 1. The
   * one rule of the console's line for such a round and of report.html's.
   */
  public static boolean isNoiseOnlyRound(JsonObject line) {
    JsonElement event = line.get("event");
    JsonElement accepted = line.get("accepted");
    return event != null
        && event.isJsonPrimitive()
        && "round".equals(event.getAsString())
        && !line.has("skipped")
        && accepted != null
        && accepted.isJsonPrimitive()
        && accepted.getAsJsonPrimitive().isNumber()
        && accepted.getAsInt() == 0;
  }

  /** Rounds recorded as skipped so far. */
  public int skippedRounds() {
    return skippedRoundNumbers().size();
  }

  /** The numbers of the rounds recorded as skipped so far, in order. */
  public List<Integer> skippedRoundNumbers() {
    List<Integer> rounds = new ArrayList<>();
    for (String l : metricLines) {
      JsonObject o = recorded(l);
      if (o != null && o.has("skipped")) {
        rounds.add(o.get("round").getAsInt());
      }
    }
    return rounds;
  }

  /**
   * Writes partition.json: the labels, and each client's label histogram, sizes, (when {@code
   * budgets}) compute budget and, under a natural partition, {@code group}: the data's client or
   * task value whose examples it holds. When the clients hold the data ({@link
   * Population#knowsClientData()} false), {@code data} says so and each client has only its budget.
   */
  public void writePartition(Population population, boolean budgets) throws IOException {
    JsonObject p = new JsonObject();
    p.add("labels", JsonOut.tree(population.splits().labels()));
    if (!population.knowsClientData()) {
      p.addProperty("data", HELD_BY_CLIENTS);
    }
    JsonObject per = new JsonObject();
    for (ClientData c : population.clients()) {
      JsonObject o = new JsonObject();
      if (population.group(c.index()) != null) {
        o.addProperty("group", population.group(c.index()));
      }
      if (population.knowsClientData()) {
        o.add("label_histogram", JsonOut.tree(population.labelHistogram(c.index())));
        o.addProperty("train", c.train().size());
        o.addProperty("holdout", c.holdout().size());
      }
      if (budgets) {
        o.addProperty("budget", population.budget(c.index()));
      }
      per.add(c.id(), o);
    }
    p.add("clients", per);
    AtomicFiles.writeString(out.resolve("partition.json"), JsonOut.line(p) + "\n");
  }

  /** Writes manifest.json: what produced the run and on what. */
  public void writeManifest(SimulationConfig config, Population population, FrozenBase base)
      throws IOException {
    JsonObject m = new JsonObject();
    m.add("config", JsonFiles.parse(config.toJson()));
    m.addProperty("seed", config.seed());
    m.addProperty("fedpeft_version", version());
    m.addProperty("git_commit", RunManifest.gitCommit());
    m.addProperty("djl", Engines.djlVersion());
    m.addProperty("pytorch", base.engine().getVersion());
    m.addProperty(
        "java",
        System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
    m.addProperty(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    m.addProperty("cpus", Runtime.getRuntime().availableProcessors());
    // The threads per client decide PyTorch's float rounding: a rerun with the same value
    // reproduces the run exactly, whatever the parallelism.
    m.addProperty("clients_in_parallel", config.parallelClients());
    m.addProperty("threads_per_client", config.threadsPerClient());
    m.addProperty("model", base.model().name());
    // What model.precision resolved to here (auto: and why); bf16 and fp32 results differ.
    m.addProperty("precision", base.model().precision().describe());
    JsonObject data = new JsonObject();
    if (population.knowsClientData()) {
      data.addProperty("train_sha256", population.splits().train().sha256());
    } else {
      data.addProperty("train", HELD_BY_CLIENTS);
    }
    if (population.hasTestSet()) {
      data.addProperty("test_sha256", population.splits().test().sha256());
    } else {
      data.addProperty("test", NO_TEST_SPLIT);
    }
    if (population.knowsClientData()) {
      data.addProperty("train_examples", population.splits().train().size());
    }
    data.addProperty("test_examples", population.splits().test().size());
    m.add("data", data);
    m.addProperty("private", StrategyFactory.isPrivate(config));
    m.addProperty("privacy_note", privacyNote(config));
    AtomicFiles.writeString(out.resolve("manifest.json"), JsonOut.line(m) + "\n");
  }

  /**
   * What {@code manifest.json}'s {@code privacy_note} says of the run's privacy: the mode with its
   * noise multiplier, where its noise comes from ({@code privacy.noise}: SecureRandom, or seeded
   * and not private), or that none is drawn when the multiplier is 0 (clipping only, not private;
   * under client-level DP with adaptive clipping the update gets no noise while the clipped count's
   * noise is still drawn, {@link org.fedpeft.privacy.PrivacySection#drawsNoise}), then {@link
   * StrategyFactory#privacyNote}: which analysis the reported epsilon uses, or with a multiplier of
   * 0 that there is no finite epsilon.
   */
  static String privacyNote(SimulationConfig config) {
    String source =
        config.privacyNoise().equals("secure")
            ? "from SecureRandom"
            : "SEEDED from the run seed: reproducible, NOT private";
    String noise;
    if (!config.privacy().noiseless()) {
      noise = "noise " + source;
    } else if (config.privacy().drawsNoise()) {
      noise =
          "no noise on the update (clipping only: NOT private), adaptive clipping's count noise "
              + source;
    } else {
      noise = "no noise drawn (clipping only: NOT private)";
    }
    String note = StrategyFactory.privacyNote(config);
    return switch (config.privacyMode()) {
      case "client" ->
          "client-level DP-FedAvg, z = " + config.dpNoiseMultiplier() + ", " + noise + "; " + note;
      case "sample" ->
          "sample-level DP-SGD at each client, sigma = "
              + config.sampleNoiseMultiplier()
              + ", C = "
              + config.sampleClipNorm()
              + ", "
              + noise
              + "; "
              + note;
      default -> note;
    };
  }

  /** What partition.json and manifest.json say of a run whose clients hold the training data. */
  public static final String HELD_BY_CLIENTS =
      "held by the clients (data.labels without data.file): this process read none of it";

  /** What manifest.json says of a run without a test split. */
  public static final String NO_TEST_SPLIT =
      "none: the run is evaluated on the clients' held-out data (federated evaluation)";

  /**
   * Writes summary.json (a member whose value is JSON null, e.g. rounds_to_target, is kept). Its
   * {@code command} becomes the command that owns the run folder ({@link RunFolder#ownerOf}: {@code
   * server} for a network server's run), when a command owns it; {@code summary} is changed the
   * same way.
   */
  public void writeSummary(JsonObject summary) throws IOException {
    String owner = RunFolder.ownerOf(out);
    if (owner != null) {
      summary.addProperty("command", owner);
    }
    AtomicFiles.writeString(out.resolve("summary.json"), JsonOut.document(summary) + "\n");
  }

  private static String version() {
    String v = RunRecorder.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  private static String pretty(String json) {
    return new GsonBuilder().setPrettyPrinting().create().toJson(JsonFiles.parse(json)) + "\n";
  }

  private static void appendLine(Path file, String line) throws IOException {
    Files.writeString(
        file,
        line + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }
}
