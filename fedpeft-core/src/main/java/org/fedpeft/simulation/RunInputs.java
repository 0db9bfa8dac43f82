package org.fedpeft.simulation;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.fedpeft.client.ClientData;
import org.fedpeft.config.ConfigException;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.JsonOut;
import org.fedpeft.io.Sha256;
import org.fedpeft.io.StartRecord;
import org.fedpeft.model.Precision;
import org.fedpeft.run.Population;
import org.fedpeft.run.RunRecorder;
import org.fedpeft.run.SimulationConfig;

/**
 * The inputs of a simulation (its config and its data files) and their fingerprints, so that {@code
 * --resume} (of {@code simulate} and of {@code server} alike, both through {@link
 * Simulation#resume}) continues exactly the run that started: the same config and the same data.
 *
 * <p>A new run writes its resolved config twice: to config.json, which a resume reads, and into
 * manifest.json ({@code config}). A resume refuses a run folder without a readable manifest.json,
 * and a config.json whose resolved values differ from the manifest's, naming the first differing
 * key and both values; a resume never changes the run, {@code rounds} included.
 *
 * <p>A new run stores {@code data.file}, {@code data.test}, {@code data.corpus}, every adapter
 * option that its method's option schema marks as a path (Ravan's and Fed-SB's {@code factors};
 * {@link SimulationConfig#filePathKeys}) and a {@code model.name} that names a folder as absolute
 * paths in its config.json, so a resume finds them from any working directory. A relative data path
 * or model folder found in an older config.json is resolved against the run folder; a relative
 * adapter option of an older config.json is left as it is, so it is still found from the directory
 * the run started in. manifest.json records the SHA-256 of each data file ({@code data.files}) next
 * to the hashes of the training and test splits; a resume recomputes both and refuses a mismatch,
 * naming the file and both hashes.
 */
final class RunInputs {

  private RunInputs() {}

  /** A check that may read files. */
  @FunctionalInterface
  interface Check {
    void run() throws IOException;
  }

  /**
   * The config a resume of the run in {@code run} continues with: its config.json, which must
   * resolve to the same values as the config manifest.json recorded when the run started, with
   * {@code model.precision = "auto"} as it resolved then ({@link #withStartPrecision}) and relative
   * paths of an older run resolved against the folder ({@link #resolvedAgainst}); of a run killed
   * while it was starting ({@link Simulation#killedWhileStarting}), which has no manifest.json yet,
   * its config.json as it is.
   *
   * @throws IllegalArgumentException naming the file: config.json missing, not a JSON object
   *     ({@link JsonFiles#readObject}'s {@link org.fedpeft.io.JsonFileException}, as any reader of
   *     it says: "config.json: duplicate key 'rounds' at line 56 column 4") or not a valid config
   *     (one this version refuses naming each key changed since the run started, if any);
   *     manifest.json missing, unreadable or without a valid {@code config}; or a key whose value
   *     in config.json differs from the manifest's (the first such key, with both values)
   */
  static SimulationConfig resumedConfig(Path run) throws IOException {
    Path cfgFile = configFile(run);
    // A run killed while starting has no manifest.json yet (Simulation#killedWhileStarting).
    return configOf(run, cfgFile, Simulation.killedWhileStarting(run) ? null : startManifest(run));
  }

  /**
   * The config of the finished run in {@code run}, read as {@link #resumedConfig} reads it, for the
   * report written from its files: refused in the same words, checked against the config its
   * manifest.json recorded; a run folder whose manifest.json is missing or records no config (which
   * a resume refuses, as it cannot check what it would continue) has its config.json read alone, as
   * nothing is run again.
   *
   * @throws IllegalArgumentException as {@link #resumedConfig} does
   */
  static SimulationConfig finishedConfig(Path run) throws IOException {
    Path cfgFile = configFile(run);
    JsonObject m = readManifest(run);
    boolean recorded = m != null && m.has("config") && m.get("config").isJsonObject();
    return configOf(run, cfgFile, recorded ? m : null);
  }

  /** {@code run}'s config.json, refused if missing. */
  private static Path configFile(Path run) {
    Path cfgFile = run.resolve("config.json");
    if (!Files.isRegularFile(cfgFile)) {
      throw new IllegalArgumentException(run + ": no config.json, so not a simulation folder");
    }
    return cfgFile;
  }

  /**
   * {@link #resumedConfig} of {@code cfgFile} (the config.json of {@code run}), checked against
   * {@code manifest}'s config unless it is null.
   */
  private static SimulationConfig configOf(Path run, Path cfgFile, JsonObject manifest)
      throws IOException {
    // Read as every JSON file of a run folder is (JsonFiles), so that one that is not UTF-8, not
    // valid JSON, has a key twice or is no object is refused in the words report.html's reading of
    // it uses ("config.json: duplicate key 'rounds' at line 56 column 4").
    String text = JsonFiles.readObject(cfgFile).toString();
    // What was edited in config.json since the start, asked only of a config this version refuses.
    Supplier<List<String>> changed = () -> changedSinceStart(text, manifest);
    SimulationConfig saved = restored(cfgFile, text, changed);
    SimulationConfig parsed = restored(cfgFile, withStartPrecision(text, manifest, run), changed);
    if (manifest != null) {
      requireStartConfig(run, saved, manifest);
    }
    return resolvedAgainst(parsed, run);
  }

  /**
   * A run's config.json text with {@code model.precision = "auto"} replaced by what it resolved to
   * when the run was created (the first word of the manifest's {@code precision}, e.g. "bf16 (auto:
   * this CPU reports avx512_bf16)"), so that a resumed run computes in the same precision on any
   * machine. Any other config, or a run without a manifest (null), is returned unchanged.
   *
   * @param manifest the run's manifest.json ({@link #startManifest}), or null if it has none
   * @param run the run's folder, whose manifest.json errors name
   * @throws IllegalArgumentException naming manifest.json if its precision is not fp32 or bf16
   */
  static String withStartPrecision(String configJson, JsonObject manifest, Path run) {
    JsonObject c = JsonFiles.parse(configJson).getAsJsonObject();
    if (!c.has("model.precision")
        || !"auto".equals(c.get("model.precision").getAsString())
        || manifest == null) {
      return configJson;
    }
    String recorded =
        manifest.has("precision") && manifest.get("precision").isJsonPrimitive()
            ? manifest.get("precision").getAsString()
            : "";
    String label = recorded.split(" ", 2)[0];
    if (Precision.ofLabel(label).isEmpty()) {
      throw new IllegalArgumentException(
          run.resolve("manifest.json")
              + ": precision \""
              + recorded
              + "\" does not say what model.precision = \"auto\" resolved to (fp32 or bf16)");
    }
    c.addProperty("model.precision", label);
    return c.toString();
  }

  /**
   * The config that {@code json}, the JSON object of {@code cfgFile}, holds ({@link
   * SimulationConfig#fromJson}).
   *
   * @param changed the keys of config.json changed since the run started ({@link
   *     #changedSinceStart}), asked only if the config is refused
   * @throws IllegalArgumentException naming {@code cfgFile}: not a valid run config (a key holding
   *     neither a value nor an array of values, in a hand-edited file), or a config this version
   *     refuses: if keys were changed since the run started, saying so and naming each with both
   *     values, else saying the run's config was accepted when the run started
   */
  private static SimulationConfig restored(
      Path cfgFile, String json, Supplier<List<String>> changed) {
    try {
      return SimulationConfig.fromJson(json);
    } catch (ConfigException e) {
      List<String> keys = changed.get();
      if (!keys.isEmpty()) {
        // A hand-edited config.json: the edit, not the version, is what is refused.
        throw new IllegalArgumentException(
            cfgFile
                + ": changed since the run started: "
                + String.join("; ", keys)
                + "; this version refuses the changed config ("
                + e.getMessage()
                + "), and a resume continues the run as it started: restore the value, or start a"
                + " new run",
            e);
      }
      // A config the fedpeft that started the run accepted and this one refuses (a rule added
      // since, e.g. server.min_clients > 1 under client-level DP with Poisson sampling): the run
      // cannot go on under a rule it did not start with, nor can its config be changed.
      throw new IllegalArgumentException(
          cfgFile
              + ": the run's config was accepted when the run started but this version refuses"
              + " it, so the run cannot be resumed; start a new run with a config it accepts ("
              + e.getMessage()
              + ")",
          e);
    } catch (IllegalArgumentException e) {
      // fromJson's own: a key holding an object (the JSON itself was read by JsonFiles).
      throw new IllegalArgumentException(
          cfgFile + ": not a valid run config (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The keys whose JSON value in {@code json} (config.json's text) differs from the config {@code
   * manifest} recorded, each described by {@link StartRecord#differences}; empty without a manifest
   * (a run killed while it was starting). Asked once {@link SimulationConfig#fromJson} has read
   * {@code json} as a JSON object.
   */
  private static List<String> changedSinceStart(String json, JsonObject manifest) {
    if (manifest == null) {
      return List.of();
    }
    return StartRecord.differences(
        JsonFiles.parse(json).getAsJsonObject().asMap(),
        manifest.getAsJsonObject("config").asMap(),
        "manifest.json");
  }

  /**
   * manifest.json of {@code run}, which a resume needs: it holds the config and the data hashes the
   * run started with.
   *
   * @throws IllegalArgumentException naming manifest.json if it is missing, cannot be read, is not
   *     a JSON object or records no config
   */
  static JsonObject startManifest(Path run) throws IOException {
    Path file = run.resolve("manifest.json");
    JsonObject m = readManifest(run);
    if (m == null) {
      throw new IllegalArgumentException(
          file
              + ": missing; it records the config and data the run started with, which a resume"
              + " must check, so this run cannot be resumed: start it again with --out "
              + run
              + " --force");
    }
    if (!m.has("config") || !m.get("config").isJsonObject()) {
      throw new IllegalArgumentException(
          file + ": records no config (\"config\"), so a resume cannot check config.json");
    }
    return m;
  }

  /**
   * Refuses {@code saved}, the config read from config.json, unless it resolves to the values
   * {@code manifest} recorded when the run started.
   *
   * @throws IllegalArgumentException naming config.json, the first differing key (in key order) and
   *     both values
   */
  static void requireStartConfig(Path run, SimulationConfig saved, JsonObject manifest) {
    Path manifestFile = run.resolve("manifest.json");
    SimulationConfig started;
    try {
      started = SimulationConfig.fromJson(manifest.getAsJsonObject("config").toString());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          manifestFile + ": its config is not a valid run config (" + e.getMessage() + ")", e);
    }
    StartRecord.requireSame(
        saved.values(),
        started.values(),
        run.resolve("config.json"),
        "manifest.json",
        "config (rounds included)");
  }

  /**
   * {@code c} with its data files, the files its adapter options name ({@link
   * SimulationConfig#filePathKeys}) and a model folder as absolute, normalised paths.
   */
  static SimulationConfig absolutePaths(SimulationConfig c) {
    JsonObject o = JsonFiles.parse(c.toJson()).getAsJsonObject();
    boolean changed = false;
    for (String key : c.filePathKeys()) {
      String v = o.has(key) ? o.get(key).getAsString() : "";
      if (!v.isEmpty()) {
        String abs = Path.of(v).toAbsolutePath().normalize().toString();
        changed |= !abs.equals(v);
        o.addProperty(key, abs);
      }
    }
    String model = o.has("model.name") ? o.get("model.name").getAsString() : "";
    if (!model.isEmpty() && Files.isDirectory(Path.of(model))) {
      String abs = Path.of(model).toAbsolutePath().normalize().toString();
      changed |= !abs.equals(model);
      o.addProperty("model.name", abs);
    }
    return changed ? SimulationConfig.fromJson(o.toString()) : c;
  }

  /**
   * {@code c} with relative data paths (and a relative model folder) resolved against {@code run}.
   */
  static SimulationConfig resolvedAgainst(SimulationConfig c, Path run) {
    JsonObject o = JsonFiles.parse(c.toJson()).getAsJsonObject();
    boolean changed = false;
    for (String key : SimulationConfig.SCHEMA.paths()) {
      String v = o.has(key) ? o.get(key).getAsString() : "";
      if (!v.isEmpty() && !Path.of(v).isAbsolute()) {
        o.addProperty(key, run.resolve(v).normalize().toString());
        changed = true;
      }
    }
    String model = o.has("model.name") ? o.get("model.name").getAsString() : "";
    if (!model.isEmpty() && !Path.of(model).isAbsolute() && Files.isDirectory(run.resolve(model))) {
      o.addProperty("model.name", run.resolve(model).normalize().toString());
      changed = true;
    }
    return changed ? SimulationConfig.fromJson(o.toString()) : c;
  }

  /** Adds {@code data.files} (each data file's SHA-256) to the run's manifest.json. */
  static void recordFileHashes(Path run, SimulationConfig c) throws IOException {
    Path manifestFile = run.resolve("manifest.json");
    JsonObject m = JsonFiles.readObject(manifestFile);
    JsonObject data = m.has("data") ? m.getAsJsonObject("data") : new JsonObject();
    JsonObject files = new JsonObject();
    for (String f : List.of(c.dataFile(), c.dataTest(), c.dataCorpus())) {
      if (!f.isEmpty()) {
        files.addProperty(f, Sha256.of(Path.of(f)));
      }
    }
    data.add("files", files);
    m.add("data", data);
    AtomicFiles.writeString(manifestFile, JsonOut.line(m) + "\n");
  }

  /**
   * The SHA-256 of data file {@code file} as manifest.json recorded it when the run started (and
   * every resume verified it), so that the file is hashed once per start; hashed now only for a run
   * folder whose manifest records no hash of it (one written before data.files existed).
   */
  static String startHash(Path run, String file) throws IOException {
    JsonObject data = manifestData(run);
    if (data != null
        && data.has("files")
        && data.get("files").isJsonObject()
        && data.getAsJsonObject("files").has(file)) {
      return data.getAsJsonObject("files").get(file).getAsString();
    }
    return Sha256.of(Path.of(file));
  }

  /**
   * Checks the data files against the hashes manifest.json recorded when the run started.
   *
   * @throws IllegalArgumentException naming the file and both hashes on a mismatch, or a missing
   *     file
   */
  static void verifyFiles(Path run, SimulationConfig c) throws IOException {
    JsonObject data = manifestData(run);
    if (data == null || !data.has("files")) {
      return;
    }
    for (var e : data.getAsJsonObject("files").entrySet()) {
      Path file = Path.of(e.getKey());
      String recorded = e.getValue().getAsString();
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            file
                + ": missing; the run in "
                + run
                + " started on this file (sha256 "
                + recorded
                + ") and can only resume on it");
      }
      String now = Sha256.of(file);
      if (!now.equals(recorded)) {
        throw new IllegalArgumentException(
            file
                + ": changed since the run started: sha256 is now "
                + now
                + ", manifest.json in "
                + run
                + " recorded "
                + recorded
                + "; a resume must see the same data");
      }
    }
  }

  /**
   * Reads the files that only report.html reads again, once the last round is done, as strictly as
   * it does: partition.json ({@link JsonFiles#readObject}) and timings.jsonl's lines as the resumed
   * run keeps them ({@link RunRecorder#linesToKeep}: a last line cut while it was appended is
   * dropped by {@link RunRecorder#resumeTimings}), those the run has. A hand-edited one that is not
   * valid JSON (a repeated key, a cut-off end, ...) is refused before the resumed rounds, naming
   * the file and where, rather than after them, with summary.json written and report.html not.
   *
   * @throws org.fedpeft.io.JsonFileException naming the file (and the line and column) if it is not
   *     valid JSON
   */
  static void verifyReportFiles(Path run) throws IOException {
    Path partition = run.resolve("partition.json");
    if (Files.isRegularFile(partition)) {
      JsonFiles.readObject(partition);
    }
    Path timings = run.resolve("timings.jsonl");
    if (Files.isRegularFile(timings)) {
      RunRecorder.linesToKeep(timings);
    }
  }

  /**
   * Checks the splits the resumed run built against the hashes recorded in manifest.json.
   *
   * @throws IllegalArgumentException naming the data and both hashes on a mismatch
   */
  static void verifySplits(Path run, SimulationConfig c, TaskSplits splits) throws IOException {
    JsonObject data = manifestData(run);
    if (data == null) {
      return;
    }
    String source =
        c.data().heldByClients()
            ? "the server's test file " + c.dataTest()
            : c.dataFile().isEmpty() ? "task " + c.task() : c.dataFile();
    check(run, data, "train_sha256", splits.train().sha256(), "training split of " + source);
    check(run, data, "test_sha256", splits.test().sha256(), "test split of " + source);
  }

  /**
   * A step on a just-built simulation (a check of its inputs, or what a start or a resume writes
   * before the simulation is handed out); closes it (freeing the model) if the step throws, since
   * the caller then gets no simulation to close.
   */
  static void checkOrClose(Simulation s, Check check) throws IOException {
    try {
      check.run();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Refuses data whose test split is empty (a tiny data file), which would report an accuracy of
   * NaN over 0 examples; a run that has no test split by design ({@code data.split = "none"} or
   * {@code data.labels} without {@code data.file}, and no {@code data.test}) is evaluated on the
   * clients' held-out data instead.
   */
  static void requireTestExamples(SimulationConfig c, TaskSplits splits) {
    if (splits.test().size() == 0 && c.data().hasTestSplit()) {
      throw new IllegalArgumentException(
          (c.dataFile().isEmpty() ? "task " + c.task() : c.dataFile())
              + ": the test split is empty ("
              + splits.train().size()
              + " training examples); give more examples per label or a test file (data.test)");
    }
  }

  /**
   * Refuses a run that would have nothing to evaluate on: no test split ({@code data.split =
   * "none"} without {@code data.test}) and no held-out example at any client. A server whose
   * clients bring their own data cannot know theirs and is not checked.
   */
  static void requireEvaluationData(SimulationConfig c, Population population) {
    if (population.hasTestSet() || !population.knowsClientData()) {
      return;
    }
    long heldOut = 0;
    long train = 0;
    for (ClientData d : population.clients()) {
      heldOut += d.holdout().size();
      train += d.train().size();
    }
    if (heldOut == 0) {
      throw new IllegalArgumentException(
          (c.dataFile().isEmpty() ? "task " + c.task() : c.dataFile())
              + ": nothing to evaluate on: the run has no test split and no client holds back any"
              + " of its "
              + train
              + " examples; give a test file (data.test) or more examples per client");
    }
  }

  private static void check(Path run, JsonObject data, String key, String now, String what) {
    JsonElement recorded = data.get(key);
    if (recorded != null && !recorded.getAsString().equals(now)) {
      throw new IllegalArgumentException(
          what
              + ": sha256 is now "
              + now
              + ", manifest.json in "
              + run
              + " recorded "
              + recorded.getAsString()
              + " ("
              + key
              + "); a resume must see the same data");
    }
  }

  private static JsonObject manifestData(Path run) throws IOException {
    JsonObject m = readManifest(run);
    return m != null && m.has("data") && m.get("data").isJsonObject()
        ? m.getAsJsonObject("data")
        : null;
  }

  /**
   * manifest.json of {@code run} as a JSON object, or null if there is none.
   *
   * @throws IllegalArgumentException naming the file if it cannot be read, is not UTF-8, not valid
   *     JSON or not a JSON object ({@link JsonFiles#readObject})
   */
  private static JsonObject readManifest(Path run) {
    Path file = run.resolve("manifest.json");
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return JsonFiles.readObject(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot be read (" + e + ")", e);
    }
  }
}
