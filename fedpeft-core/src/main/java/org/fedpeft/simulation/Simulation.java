package org.fedpeft.simulation;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.fedpeft.client.BaseModel;
import org.fedpeft.client.ClientData;
import org.fedpeft.client.ClientModels;
import org.fedpeft.client.FrozenShared;
import org.fedpeft.client.ModelFactory;
import org.fedpeft.client.ModelSpec;
import org.fedpeft.client.PeftClient;
import org.fedpeft.client.RunSettings;
import org.fedpeft.config.OptionException;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.engine.Engines;
import org.fedpeft.eval.Convergence;
import org.fedpeft.eval.Retention;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientFailure;
import org.fedpeft.federation.ClientSampler;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.EvaluationReport;
import org.fedpeft.federation.FedExLora;
import org.fedpeft.federation.FederatedRound;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.Strategy;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.JsonOut;
import org.fedpeft.io.RunFolder;
import org.fedpeft.io.Words;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.privacy.BudgetExceededException;
import org.fedpeft.privacy.ClientLevelDp;
import org.fedpeft.privacy.RdpAccountant;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.random.Seeds;
import org.fedpeft.retrieval.ClassifierRetrieval;
import org.fedpeft.retrieval.DocumentHeadInit;
import org.fedpeft.retrieval.EmbeddingRetrieval;
import org.fedpeft.run.Budgets;
import org.fedpeft.run.PausePoint;
import org.fedpeft.run.Population;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.RunRecorder;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.run.StrategyFactory;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;

/**
 * An in-process federation of many simulated clients on one shared frozen model: the round driver
 * of a run. The run's parts live in {@link org.fedpeft.run}: the {@link Population} (data and
 * partition), the {@link StrategyFactory} (the same strategy a network server builds), the {@link
 * RunRecorder} (config, manifest, partition, metrics, timings, summary) and the {@link
 * RunCheckpoint}. Every client is a {@link PeftClient}, the same client a network client process
 * runs, and messages travel between them and the strategy as bytes ({@link FederatedRound}).
 *
 * <p>The output folder holds config.json, manifest.json, partition.json, metrics.jsonl,
 * timings.jsonl, {@code checkpoint/state.safetensors} with the clients' LOCAL states in {@code
 * checkpoint/local/}, and at the end {@code adapter/} (with a method that has LOCAL tensors, also
 * {@code clients/<id>/adapter/}) and summary.json. The checkpoint is written atomically after every
 * round is aggregated (noised and charged, under DP) and BEFORE anything of the round leaves the
 * process: it holds the state, names the file of every client's LOCAL state and holds the round's
 * metrics line without its evaluation ({@link RunCheckpoint#pendingLine}); then the round is
 * evaluated and its line written ({@link #release}). So no round is released twice with different
 * noise.
 *
 * <p>Resuming reads the checkpoint, rewrites metrics.jsonl to the checkpoint's rounds (dropping
 * lines of an interrupted round, keeping the {@code round_failed} lines of failed attempts, whose
 * traffic the byte totals count: {@link RunRecorder#resumeMetrics}), evaluates a pending round's
 * model again and writes its line, and continues; client sampling, client seeds and dropout all
 * derive from (seed, round, client), and the evaluation is deterministic, so a resumed run ends
 * bit-identical to an uninterrupted one (but for a failed attempt's line and traffic).
 */
public final class Simulation implements AutoCloseable {

  /** Receives progress. */
  public interface Listener {
    /** Before the first round to run: the data and partition are ready. */
    default void onStart(Simulation sim, int firstRound) {}

    /** After each completed (and checkpointed) round. */
    default void onRound(RoundReport report, Map<String, Object> metricsLine) {}

    /** The run stops before its last round (the privacy budget is spent). */
    default void onStop(String reason) {}

    /** A round was skipped (Poisson client sampling drew too few clients); it is checkpointed. */
    default void onSkip(int round, String reason) {}

    /**
     * A round released no client's update (under client-level DP with Poisson client sampling,
     * which releases every round: {@link Strategy#releasesEveryRound}): nobody was sampled, or
     * every sampled client's update failed. The global model moved by the noise alone and the round
     * was charged like any other; {@code reason} says which case it was. Called for the rounds
     * whose metrics line {@link RunRecorder#isNoiseOnlyRound} says so, once the line is written and
     * before {@link #onRound} of that round.
     */
    default void onNoiseOnly(int round, String reason) {}
  }

  /**
   * Progress of each evaluation of the global model on the test split ({@link #evaluateGlobal}).
   */
  @FunctionalInterface
  public interface EvaluationProgress {
    /** Progress that nobody watches. */
    EvaluationProgress NONE = (documents, texts) -> BatchProgress.NONE;

    /**
     * The progress of one evaluation, which goes through {@code documents} corpus texts first (0
     * but under the contrastive objective, whose evaluation embeds the corpus), then {@code texts}
     * test examples: told after each batch how many of their sum are done.
     */
    BatchProgress start(int documents, int texts);
  }

  static final String CHECKPOINT = RunCheckpoint.FILE;

  private final SimulationConfig config;
  private final Path out;
  private final FrozenBase base;
  private final Population population;

  /** {@link Population.Loaded#testCapOrder}, recorded with the adapter: null when none. */
  private final List<String> testCapOrder;

  /**
   * The trainable parameters of the saved global model (its adapter's trainable tensors and, unless
   * the objective is contrastive, which never trains it, the head), as {@code train}'s summary.json
   * counts them; set when the adapter is saved, -1 before.
   */
  private long trainableParameters = -1;

  private final ClientModels clientModels;
  private final ModelFactory models;
  private final RunSettings settings;
  private final Strategy strategy;
  private final RunRecorder recorder;

  /**
   * The {@link ServerState#extra} prefix, then a client id: the sample-level epsilon that client's
   * latest update reported (its accountant is LOCAL: over the network the server learns the epsilon
   * only from the updates), kept in the server's state so that a resumed run has it.
   */
  static final String REPORTED_EPSILON = "privacy.sample.epsilon.";

  /** Writes the run's checkpoints, each writing the LOCAL states changed since the one before. */
  private final RunCheckpoint.Writer checkpoints;

  /**
   * Every simulated client's LOCAL state (its sample-level accountant, its method's LOCAL tensors),
   * the {@link #checkpoints}' store; in every checkpoint.
   */
  private final ClientStateStore localState;

  private CommunicationLog comm = new CommunicationLog();
  private FederatedRound.MessageTap tap = FederatedRound.MessageTap.NONE;
  private EvaluationProgress evaluationProgress = EvaluationProgress.NONE;
  private IntFunction<BatchProgress> clientAdapterProgress = clients -> BatchProgress.NONE;
  private IntFunction<BatchProgress> clientFitProgress = clients -> BatchProgress.NONE;
  private ServerState state;
  private String stopReason;

  /**
   * The metrics line, without its evaluation, of the round the state holds while that round is
   * checkpointed and not yet released ({@link RunCheckpoint#pendingLine}); null once its line is
   * written.
   */
  private String pendingLine;

  /** {@link #savedRounds}. */
  private volatile int savedRounds;

  /** {@link #adapterOptionsInUse}. */
  private Map<String, String> adapterOptionsInUse = Map.of();

  private Simulation(SimulationConfig config, Path out, RunCheckpoint checkpoint)
      throws IOException {
    this.config = config;
    this.out = out;
    Map<String, String> adapterOptions = StrategyFactory.effectiveAdapterOptions(config);
    String method = config.adapterMethod().equals("none") ? null : config.adapterMethod();
    if (method != null) {
      AdapterRegistry.get(method).validate(adapterOptions);
    }
    Population.Loaded loaded = Population.load(config);
    TaskSplits splits = loaded.splits();
    this.testCapOrder = loaded.testCapOrder();
    RunInputs.requireTestExamples(config, splits);
    splits.requireTwoLabelsPerTask(
        config.dataFile().isEmpty() ? "task " + config.task() : config.dataFile());
    if (config.objective().contrastive() && splits.corpus() == null) {
      throw new IllegalArgumentException(
          "client.objective = \"contrastive\" needs a retrieval task: "
              + (config.dataFile().isEmpty() ? "task " + config.task() : config.dataFile())
              + " has no corpus (use a retrieval task such as wordnet-sense-retrieval, or"
              + " data.corpus with query files)");
    }
    this.base = new FrozenBase(PretrainedModel.load(config.model()));
    try {
      this.population = Population.build(config, splits, base);
      RunInputs.requireEvaluationData(config, population);
      long seed = config.seed();
      ModelSpec spec =
          new ModelSpec(method, adapterOptions, seed, HeadLayout.of(splits.taskLabels()), seed + 1);
      this.clientModels = new ClientModels(base);
      this.models = clientModels.factory(spec);
      Map<String, HostTensor> initial = new TreeMap<>();
      String frozen;
      try (ModelFactory.Instance m = models.instantiate(Map.of())) {
        // The server holds GLOBAL tensors only; FROZEN_SHARED ones are checked by fingerprint.
        for (AdapterTensor t : m.model().tensors()) {
          if (t.role() == Role.GLOBAL) {
            initial.put(t.name(), Adapter.Tensors.toHost(t.array()));
          }
        }
        frozen = FrozenShared.fingerprint(m.model());
        Adapter a = m.model().adapter();
        this.adapterOptionsInUse = a == null ? Map.of() : config.adapterOptionsRead(a.options());
        if (config.head().fromDocuments()) {
          initial.putAll(documentHead(m.model(), spec.head()));
        }
      }
      this.settings =
          new RunSettings(
              spec,
              config.localSteps(),
              config.learningRate(),
              config.batchSize(),
              config.weightDecay(),
              config.maxGradNorm(),
              config.proximalMu(),
              StrategyFactory.sampleDpConfig(config),
              frozen,
              config.objective(),
              config.headLearningRate(),
              BaseModel.of(base));
      Map<String, Double> budgets = new TreeMap<>();
      if (Budgets.configured(config.budgets())) {
        population.clients().forEach(c -> budgets.put(c.id(), population.budget(c.index())));
      }
      this.strategy = StrategyFactory.create(config, settings, population.indexById(), budgets);
      if (checkpoint == null) {
        this.state = strategy.initialize(initial);
        this.recorder = new RunRecorder(out, List.of());
        this.checkpoints = new RunCheckpoint.Writer(out, Map.of());
      } else {
        this.state = checkpoint.state();
        this.comm = checkpoint.comm();
        this.recorder = new RunRecorder(out, checkpoint.metricLines());
        this.pendingLine = checkpoint.pendingLine();
        this.savedRounds = state.round();
        this.checkpoints = new RunCheckpoint.Writer(out, checkpoint);
      }
      this.localState = checkpoints.clientStates();
    } catch (IOException | RuntimeException | Error e) {
      // A refusal found once the model is loaded (its data, its head, a resumed state): the
      // caller gets no Simulation to close, so the model is freed here.
      base.close();
      throw e;
    }
  }

  /** The initial head of {@code head.init = "documents"} ({@link DocumentHeadInit}). */
  private Map<String, HostTensor> documentHead(ClassifierModel model, HeadLayout layout) {
    if (!population.knowsClientData()) {
      throw new IllegalArgumentException(
          "head.init = \"documents\" makes the head from the retrieval corpus, which the server"
              + " must hold, and this server reads no data (data.labels without data.file): give"
              + " it the queries as data.file and the corpus as data.corpus, or set head.init ="
              + " \"random\"");
    }
    if (population.documents() == null || layout.multiTask()) {
      throw new IllegalArgumentException(
          "head.init = \"documents\" needs single-task retrieval data (a retrieval task such as"
              + " wordnet-sense-retrieval, or data.corpus with query files); "
              + (config.dataFile().isEmpty() ? "task " + config.task() : config.dataFile())
              + (layout.multiTask() ? " has several tasks" : " has no corpus"));
    }
    return DocumentHeadInit.tensors(model, population.documents(), layout, config.head().scale());
  }

  /**
   * A new Simulation. A bad option value found only once the model is known (an adapter rank above
   * what a module allows, say) is named as the config writes it ({@code adapter.rank = 500 is more
   * than ...}), not as the method's own reader names it ({@code lora: option 'rank'}).
   */
  private static Simulation open(SimulationConfig config, Path out, RunCheckpoint checkpoint)
      throws IOException {
    try {
      return new Simulation(config, out, checkpoint);
    } catch (RuntimeException e) {
      OptionException o = OptionException.in(e);
      if (o == null) {
        throw e;
      }
      // A strategy's options are server.<strategy>.<option>; an adapter method's adapter.<option>.
      String key = (o.owner().startsWith("server.") ? o.owner() + "." : "adapter.") + o.option();
      throw new IllegalArgumentException(o.messageFor(key, " = "), e);
    }
  }

  /** Prepares a new run in {@code out}; refuses a folder that already holds a checkpoint. */
  public static Simulation create(SimulationConfig config, Path out) throws IOException {
    return create(config, out, () -> {});
  }

  /**
   * Prepares a new run in {@code out} as {@link #create(SimulationConfig, Path)} does, running
   * {@code beforeWriting} once the model and the data are loaded and checked, just before the run's
   * first write into {@code out} (creating it if missing, then config.json): until then nothing is
   * written there.
   */
  public static Simulation create(SimulationConfig config, Path out, Runnable beforeWriting)
      throws IOException {
    if (Files.exists(out.resolve(CHECKPOINT))) {
      throw new IllegalArgumentException(
          out
              + " already holds a run; resume it with --resume "
              + out
              + " or choose another --out");
    }
    return start(RunInputs.absolutePaths(config), out, beforeWriting);
  }

  /**
   * Starts the run of {@code config} (its paths absolute) in {@code out}: loads its model and data,
   * runs {@code beforeWriting}, then writes config.json, the partition, manifest.json and the data
   * files' hashes, which a resume checks.
   */
  private static Simulation start(SimulationConfig config, Path out, Runnable beforeWriting)
      throws IOException {
    Simulation s = open(config, out, null);
    RunInputs.checkOrClose(
        s,
        () -> {
          beforeWriting.run();
          Files.createDirectories(out);
          s.recorder.start(config);
          PausePoint.reach("simulation-starting");
          s.recorder.writePartition(s.population, Budgets.configured(config.budgets()));
          s.recorder.writeManifest(config, s.population, s.base);
          RunInputs.recordFileHashes(out, config);
        });
    return s;
  }

  /** What {@link #start} writes before manifest.json, in order: what a run killed then holds. */
  private static final List<String> WRITTEN_BEFORE_MANIFEST =
      List.of("config.json", "partition.json");

  /**
   * Whether {@code out} holds a run killed while it was starting: config.json, perhaps
   * partition.json (or the temporary file of one being written, {@link AtomicFiles}), and nothing
   * else but the lock file (no manifest.json, checkpoint or metrics.jsonl), as {@link #start}
   * leaves it before it writes manifest.json. Nothing was trained and nothing recorded of the data,
   * so the start can be made again from config.json, the run's resolved config.
   */
  static boolean killedWhileStarting(Path out) throws IOException {
    if (!Files.isRegularFile(out.resolve(WRITTEN_BEFORE_MANIFEST.get(0)))) {
      return false;
    }
    try (var files = Files.list(out)) {
      return files
          .map(f -> f.getFileName().toString())
          .allMatch(
              n ->
                  n.equals(RunFolder.LOCK_FILE)
                      || WRITTEN_BEFORE_MANIFEST.contains(n)
                      || WRITTEN_BEFORE_MANIFEST.stream()
                          .anyMatch(w -> AtomicFiles.isTemporaryOf(Path.of(w), n)));
    }
  }

  /**
   * The config of the finished run in {@code out} as a resume reads it ({@link
   * RunInputs#finishedConfig}), for its missing report, written from its files: a config.json that
   * a resume would refuse (not a valid run config, such as a key holding an object; a value of the
   * wrong type; a value changed since the run started) is refused in the same words, naming the
   * file and the key, before the report reads it.
   *
   * @throws IllegalArgumentException as {@link RunInputs#resumedConfig} does
   */
  public static SimulationConfig finishedConfig(Path out) throws IOException {
    return RunInputs.finishedConfig(out);
  }

  /**
   * Checks the metrics.jsonl of the finished run in {@code out} as a resume checks it, for its
   * missing report: the lines its last checkpoint counts must be in the file as the run wrote them
   * ({@link RunCheckpoint#countedMetricLines}), refused in a resume's words (a last line cut by a
   * kill: "metrics.jsonl is shorter than its checkpointed lines: ..."); a run without a checkpoint
   * (no round completed) counts none. The lines after them (a finished run's: its last released
   * round's line when a privacy budget stopped it, {@code round_failed} lines, its {@code
   * stopped_early} line) are not checked here; the report reads them by {@link
   * RunRecorder#linesToKeep}: every line but a last one cut while it was appended, so a complete
   * line added after the run finished is charted (a resume of an unfinished run drops such a line).
   *
   * @throws IllegalArgumentException as {@link RunCheckpoint#countedMetricLines} does
   */
  public static void checkFinishedMetrics(Path out) throws IOException {
    if (Files.isRegularFile(out.resolve(CHECKPOINT))) {
      RunCheckpoint.countedMetricLines(out);
    }
  }

  /**
   * Reopens a run from its folder's checkpoint (or from scratch if it has none yet), with the
   * config and data it started with: a config.json that differs from manifest.json's config, a
   * missing or unreadable manifest.json, a changed data file, or a partition.json or timings.jsonl
   * line that is not valid JSON is refused ({@link RunInputs}; a last timings.jsonl line that a
   * kill cut is dropped, {@link RunRecorder#resumeTimings}). A run killed while it was starting
   * ({@link #killedWhileStarting}: config.json written, manifest.json not yet) is started again
   * with its config.json.
   */
  public static Simulation resume(Path out) throws IOException {
    return resume(out, config -> {});
  }

  /**
   * {@link #resume(Path)}, with {@code startCheck} applied to the config of a run killed while it
   * was starting before it is started again: the check its command makes of a new run's config
   * before {@link #create} (the server's, that its data file is on this machine), so that the start
   * made again refuses what the first start would have, in the same words. It throws to refuse.
   */
  public static Simulation resume(
      Path out, java.util.function.Consumer<SimulationConfig> startCheck) throws IOException {
    // The config and data the run started with (manifest.json), or a refusal naming the file.
    SimulationConfig config = RunInputs.resumedConfig(out);
    if (killedWhileStarting(out)) {
      // No manifest.json yet, so nothing to check config.json against: the start again.
      startCheck.accept(config);
      return start(config, out, () -> {});
    }
    RunInputs.verifyFiles(out, config);
    RunInputs.verifyReportFiles(out);
    // Without a checkpoint (killed before its first round was aggregated): from scratch.
    RunCheckpoint checkpoint =
        Files.isRegularFile(out.resolve(CHECKPOINT)) ? RunCheckpoint.loadToResume(out) : null;
    Simulation s = open(config, out, checkpoint);
    RunInputs.checkOrClose(
        s,
        () -> {
          RunInputs.verifySplits(out, config, s.splits());
          s.refuseUnchargedRounds(out);
          s.recorder.resumeMetrics(s.pendingLine == null ? 0 : s.completedRounds());
          s.recorder.resumeTimings();
          s.checkpoints.deleteUnnamedFiles();
        });
    return s;
  }

  /**
   * Refuses to resume a run that releases every round ({@link Strategy#releasesEveryRound}:
   * client-level DP under Poisson client sampling) whose metrics.jsonl records a round an earlier
   * fedpeft did not release and charge: a skipped round (one that drew fewer than
   * server.min_clients clients) or a failed one ({@code round_failed}: fewer than
   * server.min_clients valid updates, with server.min_clients = 1 none; the run stopped, and its
   * line and the stop showed who was sampled and failed). This version releases and charges such
   * rounds; continuing would mix that rule with this one, and neither the run's epsilon nor
   * summary.json's account of it ("every round releases a noisy update") would hold for it. Reads
   * the run's files and changes none.
   */
  private void refuseUnchargedRounds(Path out) throws IOException {
    if (!strategy.releasesEveryRound()) {
      return;
    }
    refuseUncharged(
        out,
        recorder.skippedRoundNumbers(),
        "skipped",
        "skipped a round that drew fewer than server.min_clients clients");
    refuseUncharged(
        out,
        recorder.failedRoundNumbers(),
        "failed",
        "stopped the run at a round whose sampled clients sent fewer than server.min_clients"
            + " valid updates (round_failed), which showed who was sampled and failed");
  }

  /**
   * Refuses the resume if {@code rounds} (the rounds metrics.jsonl records as {@code what}, which
   * an earlier fedpeft did as {@code how}, releasing and charging nothing) is not empty, naming
   * metrics.jsonl and the rounds.
   */
  private static void refuseUncharged(Path out, List<Integer> rounds, String what, String how) {
    if (rounds.isEmpty()) {
      return;
    }
    throw new IllegalArgumentException(
        out.resolve("metrics.jsonl")
            + ": round"
            + (rounds.size() == 1 ? " " : "s ")
            + rounds.stream().map(String::valueOf).collect(Collectors.joining(", "))
            + " "
            + what
            + " (an earlier fedpeft "
            + how
            + ", releasing and charging nothing); with privacy.mode ="
            + " \"client\" and client_sampling = \"poisson\" this version releases and charges"
            + " every round, as the accounting with q = clients_per_round / clients assumes, so"
            + " the run cannot be resumed: its epsilon would not cover the "
            + what
            + " round"
            + (rounds.size() == 1 ? "" : "s")
            + ". Start it again with --out "
            + out
            + " --force");
  }

  /**
   * Sets a tap that sees the bytes of every message between the server and the clients (every
   * message of a simulation goes through its byte form), e.g. to check what leaves a client.
   */
  public void setMessageTap(FederatedRound.MessageTap tap) {
    this.tap = java.util.Objects.requireNonNull(tap, "tap");
  }

  /**
   * Sets what hears the progress of each evaluation of the global model on the test split (after an
   * evaluated round, and at the end), e.g. for a progress bar; it changes nothing evaluated.
   */
  public void setEvaluationProgress(EvaluationProgress progress) {
    this.evaluationProgress = java.util.Objects.requireNonNull(progress, "progress");
  }

  /**
   * Sets what hears the progress of the end of a run of a method with LOCAL tensors, which saves
   * each client's own model ({@value #CLIENTS_DIR}/&lt;client&gt;/adapter): given the number of
   * clients, it is told after each client how many are done (a client without LOCAL state is done
   * without a folder). It changes nothing saved.
   */
  public void setClientAdapterProgress(IntFunction<BatchProgress> progress) {
    this.clientAdapterProgress = java.util.Objects.requireNonNull(progress, "progress");
  }

  /**
   * Sets what hears the progress of each round's client training ({@link
   * FederatedRound#setFitProgress}): given the number of clients sampled, it is told after each
   * client's fit returns, fails or times out how many are done. It changes nothing trained or
   * recorded.
   */
  public void setClientFitProgress(IntFunction<BatchProgress> progress) {
    this.clientFitProgress = java.util.Objects.requireNonNull(progress, "progress");
  }

  public SimulationConfig config() {
    return config;
  }

  public Path out() {
    return out;
  }

  /**
   * The adapter's options in use, every one of them (the method's defaults for those the config
   * does not set) but those the method says its other options make inert ({@link
   * SimulationConfig#adapterOptionsRead}), sorted by name; empty without an adapter. summary.json
   * records them as {@code adapter_options_resolved}.
   */
  public Map<String, String> adapterOptionsInUse() {
    return adapterOptionsInUse;
  }

  /** The frozen model's name ({@code model.name}). */
  public String modelName() {
    return base.model().name();
  }

  /**
   * What the frozen base computes in: {@code model.precision} resolved (auto: on the machine that
   * created the run, for a resumed one).
   */
  public Precision precision() {
    return base.model().precision().precision();
  }

  /**
   * The frozen model the run computes with, as every instruction names it to the clients ({@link
   * BaseModel#of}: its digest and resolved precision), which a client checks its own against.
   */
  public String baseModel() {
    return settings.baseModel();
  }

  /**
   * What {@code model.precision = "auto"} picked and why ({@link FrozenBase#precisionNote()}); null
   * for an explicit setting.
   */
  public String precisionNote() {
    return base.precisionNote();
  }

  /**
   * A note when texts of the run's data (training, evaluation, corpus: all encoded when the run is
   * created or resumed) are longer than the model reads; null otherwise.
   */
  public String truncationNote() {
    return base.tokenizer().truncationNote("of the data");
  }

  /**
   * A warning when client-level DP's noise is expected to be larger than any averaged update:
   * {@link ClientLevelDp.Config#noiseNormOverClipNorm} of the global model's size above 1, with the
   * clients per round that would bring it to 1; null otherwise, and without client-level DP.
   */
  public String clientDpNoiseWarning() {
    if (!config.privacyMode().equals("client")) {
      return null;
    }
    long d = 0;
    for (HostTensor t : state.global().values()) {
      d += t.data().length;
    }
    ClientLevelDp.Config dp = StrategyFactory.dpConfig(config);
    double ratio = dp.noiseNormOverClipNorm(d);
    if (!(ratio > 1)) {
      return null;
    }
    return String.format(
        java.util.Locale.ROOT,
        "warning: client-level DP noise on the averaged update is expected to have %.1f times the"
            + " norm of the largest averaged update, the clip norm (noise multiplier %.2f x"
            + " sqrt(%,d parameters) / %d clients per round): the model will hardly learn; about"
            + " %,d clients per round would bring it to 1 (docs/config.md, Privacy)",
        ratio,
        dp.updateNoiseMultiplier(),
        d,
        dp.expectedClients(),
        (long) Math.ceil(dp.updateNoiseMultiplier() * Math.sqrt(d)));
  }

  /** Rounds completed so far. */
  public int completedRounds() {
    return state.round();
  }

  /**
   * The rounds the run folder's checkpoint holds, which a {@code --resume} keeps: those of the
   * checkpoint the run was resumed from, then every round from the moment it is checkpointed, which
   * is before its evaluation, metrics line and listener call ({@link #release}). Safe to read from
   * any thread (an interrupt's message).
   */
  public int savedRounds() {
    return savedRounds;
  }

  public TaskSplits splits() {
    return population.splits();
  }

  public List<ClientData> clients() {
    return population.clients();
  }

  /** Whether this process holds the clients' data (false for a server whose clients bring it). */
  public boolean knowsClientData() {
    return population.knowsClientData();
  }

  /**
   * Runs the remaining rounds (first releasing a round the checkpoint holds pending), checkpointing
   * each before its release. Returns the summary.
   */
  public JsonObject run(Listener listener) throws IOException, InterruptedException {
    if (!population.knowsClientData()) {
      throw new IllegalArgumentException(HELD_BY_CLIENTS);
    }
    return run(
        listener,
        c ->
            new PeftClient(
                c,
                clientModels,
                localState,
                StrategyFactory.sampleNoise(config, c.index()),
                config.threadsPerClient()));
  }

  /**
   * Runs the remaining rounds with the given clients instead of this process's {@link PeftClient}s:
   * a network server passes one remote node per client of the population. Everything else (the
   * strategy, sampling, evaluation, metrics, checkpoints, summary) is as in {@link #run(Listener)}.
   *
   * @param clients the client app standing for each client of the population
   */
  public JsonObject run(Listener listener, Function<ClientData, ClientApp> clients)
      throws IOException, InterruptedException {
    Engines.gradModeOffOnThisThread();
    Map<String, ClientApp> apps = new TreeMap<>();
    for (ClientData c : population.clients()) {
      apps.put(c.id(), clients.apply(c));
    }
    ClientSampler sampler =
        config.poissonSampling()
            ? ClientSampler.poisson(config.seed(), config.clientsPerRound())
            : new ClientSampler(config.seed(), config.clientsPerRound());
    // Loading the model and the data leaves garbage in the old generation (the model file's bytes,
    // parsing intermediates: the heap peaks at about twice what stays live). One full collection
    // before the rounds lets the launcher's heap settings give that back to the OS at once, instead
    // of carrying it resident through the run (docs/performance.md, "Memory").
    System.gc();
    listener.onStart(this, state.round() + 1);
    long runStart = System.nanoTime();
    double fitSeconds = 0;
    // client.parallel clients at once (default: one per core; docs/architecture.md has the
    // measurements).
    // Gradients are recorded per thread (Autograd) and dropout draws from per-step seeded
    // generators (StepRandom), so with the same threads per client the results do not depend on
    // the parallelism.
    FederatedRound.Options opts =
        FederatedRound.Options.defaults()
            .withParallelism(config.parallelClients())
            .withClientTimeout(Duration.ofMillis((long) (config.clientTimeoutSeconds() * 1000)));
    try (FederatedRound driver = new FederatedRound(strategy, apps, sampler, comm, opts)) {
      driver.setMessageTap(tap);
      driver.setFitProgress(clientFitProgress);
      if (pendingLine != null) {
        // Resumed from a checkpoint written before its round's release: release that round now.
        Map<String, Object> line = lineMap(pendingLine);
        if (line.containsKey("skipped")) {
          listener.onSkip(state.round(), String.valueOf(line.get("skipped")));
        }
        release(driver, listener, pendingReport(state, line), line, null);
      }
      while (state.round() < config.rounds()) {
        RoundReport report;
        try {
          report = driver.run(state);
        } catch (BudgetExceededException e) {
          // Client-level DP: the strategy refused the round before sending it out (nothing was
          // trained, sent or released); stop and export what we have.
          stopEarly(e.getMessage(), driver, listener);
          break;
        } catch (RoundFailedException e) {
          String reason = budgetStop(e);
          // The attempt took wall time (clients trained, or were waited for): timings.jsonl has
          // it, as it has an interrupted round's, whether the round failed or a budget stops.
          recorder.appendTimings(
              timingLine(
                  reason == null ? RunRecorder.FAILED_ROUND : "stopped_early",
                  e.round(),
                  e.seconds(),
                  e.clientFitSeconds().values(),
                  0));
          if (reason == null) {
            // Too few clients contributed (server.min_clients): the run stops here, in simulate
            // and in a network server alike, and metrics.jsonl says why, with the attempt's
            // traffic (not the checkpoint: the state is still the last completed round's, and
            // --resume runs the round again, keeping the line).
            recorder.appendFailedRound(failedRoundLine(e));
            throw e;
          }
          // The clients within budget trained and sent their updates before the stop: their
          // epsilons count in the summary.
          state = withReportedEpsilons(state, e.clientMetrics());
          stopEarly(reason, driver, listener);
          break;
        }
        state = withReportedEpsilons(report.state(), report.clientMetrics());
        int round = state.round();
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "round");
        line.put("round", round);
        line.put("sampled", report.sampled());
        line.put("accepted", report.accepted().size());
        if (report.skipped()) {
          String why =
              report.sampled().isEmpty()
                  ? "no client sampled (Poisson client sampling)"
                  : report.sampled().size()
                      + " client(s) sampled (Poisson client sampling), fewer than"
                      + " server.min_clients = "
                      + config.minClients();
          line.put("skipped", why);
          listener.onSkip(round, why);
        }
        line.put("failures", failuresLine(report.failures()));
        double lossSum = 0;
        int n = 0;
        List<Double> clientFitSeconds = new ArrayList<>();
        for (var cm : report.clientMetrics().values()) {
          clientFitSeconds.add(cm.getOrDefault("fit_seconds", 0.0));
          Double l = cm.get("train_loss");
          if (l != null) {
            lossSum += l;
            n++;
          }
        }
        Map<String, Map<String, Double>> adapterMetrics = new TreeMap<>();
        report
            .clientMetrics()
            .forEach(
                (id, cm) ->
                    cm.forEach(
                        (k, v) -> {
                          if (k.startsWith("adapter.")) {
                            adapterMetrics
                                .computeIfAbsent(id, x -> new TreeMap<>())
                                .put(k.substring("adapter.".length()), v);
                          }
                        }));
        if (!adapterMetrics.isEmpty()) {
          // What each client's adapter reported about its round (Ravan: the heads it trained).
          line.put("client_adapter", adapterMetrics);
        }
        if (n > 0) {
          // Absent when no client reported one (skipped rounds; sample-level DP, where the raw
          // training loss is not privatised and stays on the client).
          line.put("train_loss", lossSum / n);
        }
        line.put("bytes_up", report.bytesUp());
        line.put("bytes_down", report.bytesDown());
        Double eps = report.metrics().get("dp_epsilon");
        if (eps != null) {
          line.put("epsilon", eps);
          line.put("dp_clip_norm", report.metrics().get("dp_clip_norm"));
        }
        if (settings.sampleDp() != null) {
          double[] e = clientEpsilons();
          line.put("epsilon", Arrays.stream(e).max().orElse(0));
          line.put("epsilon_mean", Arrays.stream(e).average().orElse(0));
          line.put(
              "clients_declined",
              report.failures().stream()
                  .filter(f -> f.kind() == ClientFailure.Kind.DECLINED)
                  .count());
        }
        // A strategy's own per-round record (e.g. FedBE's block assignment), under "strategy".
        Map<String, Double> strategyRecord = new TreeMap<>();
        report
            .metrics()
            .forEach(
                (k, v) -> {
                  if (k.startsWith("strategy.")) {
                    strategyRecord.put(k.substring("strategy.".length()), v);
                  }
                });
        if (!strategyRecord.isEmpty()) {
          line.put("strategy", strategyRecord);
        }
        putTrafficTotals(line);
        // The round is durable before anything of it leaves this process (its evaluation, which a
        // server runs on its clients, its metrics line, the console): a run killed from here on
        // resumes with this very model, noise and charge, and writes the rest of the line.
        pendingLine = JsonOut.line(line);
        PausePoint.reach("round-" + round + "-before-checkpoint");
        checkpoint();
        fitSeconds += release(driver, listener, report, line, clientFitSeconds);
      }
    }
    JsonObject summary = finish((System.nanoTime() - runStart) / 1e9, fitSeconds);
    return summary;
  }

  /**
   * Releases the round the state holds, checkpointed with its metrics line but for the evaluation
   * ({@link #pendingLine}): evaluates the round's model if it is an evaluated round ({@code
   * eval.every}, the last), writes its metrics line (the pending line, then the evaluation), its
   * timings line, and tells the listener. The evaluation is deterministic, so a resumed run that
   * releases a checkpointed round again writes the line an uninterrupted run wrote. The run's last
   * round is checkpointed a second time once released (with no pending line).
   *
   * @param report the round's report (built from its line for a round released after a resume)
   * @param line the round's line as a map, to which the evaluation is added for the listener
   * @param clientFitSeconds the clients' fit times, or null for a round trained by an earlier
   *     process: its timings line then has {@code "event": "released_on_resume"} and no fit time
   * @return the clients' fit seconds summed
   */
  private double release(
      FederatedRound driver,
      Listener listener,
      RoundReport report,
      Map<String, Object> line,
      List<Double> clientFitSeconds)
      throws IOException, InterruptedException {
    int round = state.round();
    Map<String, Object> evaluation = new LinkedHashMap<>();
    long evalStart = System.nanoTime();
    if (round % config.evalEvery() == 0 || round == config.rounds()) {
      putEvaluation(evaluation, driver, round);
    }
    double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
    JsonObject full = JsonFiles.parse(pendingLine).getAsJsonObject();
    JsonOut.tree(evaluation)
        .getAsJsonObject()
        .entrySet()
        .forEach(e -> full.add(e.getKey(), e.getValue()));
    pendingLine = null;
    recorder.appendMetrics(full);
    line.putAll(evaluation);
    if (RunRecorder.isNoiseOnlyRound(full)) {
      listener.onNoiseOnly(round, noiseOnlyReason(report.sampled().size()));
    }
    Map<String, Object> timing =
        clientFitSeconds == null
            ? timingLine(RELEASED_ON_RESUME, round, 0, List.of(), evalSeconds)
            : timingLine(null, round, report.seconds(), clientFitSeconds, evalSeconds);
    recorder.appendTimings(timing);
    if (round == config.rounds()) {
      // The run's last checkpoint holds every line and what the last evaluation left in the
      // clients' LOCAL state (FedDPA's anchors): a finished run's checkpoint is complete.
      checkpoint();
    }
    PausePoint.reach("round-" + round + "-after-metrics");
    listener.onRound(report, line);
    return (double) timing.get("client_fit_seconds");
  }

  /**
   * The {@code event} of the timings line of a round trained and checkpointed by an earlier process
   * and released (evaluated, its metrics line written) by the resumed one ({@link #release}).
   */
  public static final String RELEASED_ON_RESUME = "released_on_resume";

  /**
   * The report of the round {@code state} holds, for the listener, from its pending metrics line:
   * the clients sampled, those accepted (none in a skipped round, where nobody trained; else the
   * sampled ones without an entry in {@code failures}), the traffic; no client metrics, time or
   * failures (the line has these).
   */
  static RoundReport pendingReport(ServerState state, Map<String, Object> line) {
    List<String> sampled = new ArrayList<>();
    if (line.get("sampled") instanceof List<?> l) {
      l.forEach(id -> sampled.add(String.valueOf(id)));
    }
    List<String> failed = new ArrayList<>();
    if (line.get("failures") instanceof List<?> l) {
      for (Object f : l) {
        if (f instanceof Map<?, ?> m) {
          failed.add(String.valueOf(m.get("client")));
        }
      }
    }
    List<String> accepted =
        line.containsKey("skipped")
            ? List.of()
            : sampled.stream().filter(id -> !failed.contains(id)).toList();
    return new RoundReport(
        state.round(),
        state,
        sampled,
        accepted,
        List.of(),
        Map.of(),
        Map.of(),
        number(line.get("bytes_down")),
        number(line.get("bytes_up")),
        0);
  }

  /** A metrics line as a map, as the listener gets it (numbers as Double, in the line's order). */
  static Map<String, Object> lineMap(String json) {
    return new Gson().fromJson(json, new TypeToken<LinkedHashMap<String, Object>>() {}.getType());
  }

  private static long number(Object value) {
    return value instanceof Number n ? n.longValue() : 0;
  }

  /**
   * Why a round released the noise alone ({@link Listener#onNoiseOnly}), in the words of its
   * metrics line: nobody sampled, or every client sampled ({@code sampled} of them) failed.
   */
  static String noiseOnlyReason(int sampled) {
    return sampled == 0
        ? "no client sampled (Poisson client sampling)"
        : sampled == 1
            ? "the 1 sampled client's update failed (failures in metrics.jsonl)"
            : "all " + sampled + " sampled clients' updates failed (failures in metrics.jsonl)";
  }

  /**
   * The evaluation of a round's model into its metrics line: on the test split ({@code accuracy},
   * {@code loss}, ...) if the run has one, and on the clients' held-out data ({@code
   * client_accuracy}, ...), as every {@code eval.every}-th round, the last and a run's last before
   * a privacy budget stops it ({@link #stopEarly}) have.
   */
  private void putEvaluation(Map<String, Object> line, FederatedRound driver, int round)
      throws InterruptedException {
    if (population.hasTestSet()) {
      Evaluation g = evaluateGlobal();
      line.putAll(g.metrics()); // accuracy, loss, then any metric the task adds
    }
    EvaluationReport er = driver.evaluate(state, evalClients(round));
    Map<String, Double> perClient = new TreeMap<>();
    er.clientMetrics().forEach((id, m) -> perClient.put(id, m.get("accuracy")));
    line.put("client_accuracy", perClient);
    line.put("client_accuracy_mean", er.metrics().getOrDefault("accuracy", Double.NaN));
    if (!population.hasTestSet()) {
      // Federated evaluation: the clients' held-out data is all there is to evaluate on.
      line.put("client_loss_mean", er.metrics().getOrDefault("loss", Double.NaN));
      line.put(
          "eval_examples",
          er.clientMetrics().values().stream()
              .mapToLong(m -> Math.round(m.getOrDefault("num_examples", 0.0)))
              .sum());
    }
    if (!er.failures().isEmpty()) {
      line.put("eval_failures", failuresLine(er.failures()));
    }
    putPersonalization(line, er);
    line.put("eval_bytes_up", er.bytesUp());
    line.put("eval_bytes_down", er.bytesDown());
  }

  /**
   * Ends the run before its last round because a privacy budget is spent: {@code stopped_early} in
   * summary.json, and a metrics.jsonl line {@code "event": "stopped_early"} with the last completed
   * round (whose model is the one saved), the reason, and, unless that round was evaluated, its
   * evaluation, so that the run ends as a run of that many rounds would. The line is not in the
   * checkpoint (the state is still the last completed round's): a resume of a run killed before its
   * summary.json rewrites metrics.jsonl without it, meets the same stop and writes it again (so the
   * killed process's attempt of round K + 1 is not counted: {@link RunRecorder#resumeMetrics}).
   *
   * <p>The line also has {@code bytes_up} and {@code bytes_down}, the traffic of the round that
   * could not complete (round K + 1: under sample-level DP the instructions sent to its clients and
   * the updates of those that trained; under client-level DP none, as the strategy refuses the
   * round before sending it out), and {@code bytes_up_total} and {@code bytes_down_total} after it,
   * so that metrics.jsonl accounts for every byte summary.json counts: its totals are the last
   * line's totals plus that line's {@code eval_bytes_up} and {@code eval_bytes_down} ({@link
   * #putAttemptTraffic}, as a {@code round_failed} line has them).
   */
  private void stopEarly(String reason, FederatedRound driver, Listener listener)
      throws IOException, InterruptedException {
    stopReason = reason;
    int round = state.round();
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("event", "stopped_early");
    line.put("round", round);
    line.put("stopped_early", reason);
    putAttemptTraffic(line, round + 1);
    if (round > 0 && round % config.evalEvery() != 0) {
      putEvaluation(line, driver, round);
    }
    recorder.appendMetrics(line);
    listener.onStop(reason);
  }

  /**
   * The traffic of a round attempt that did not complete ({@code stopped_early}, {@code
   * round_failed}) into its metrics line: {@code bytes_up} and {@code bytes_down}, what the
   * communication log holds for that round (the instructions sent out and the updates of the
   * clients that answered), then the totals after it ({@link #putTrafficTotals}).
   */
  private void putAttemptTraffic(Map<String, Object> line, int round) {
    line.put("bytes_up", comm.roundTotal(round, CommunicationLog.Direction.UP));
    line.put("bytes_down", comm.roundTotal(round, CommunicationLog.Direction.DOWN));
    putTrafficTotals(line);
  }

  /** {@code bytes_up_total} and {@code bytes_down_total} so far ({@link #trafficTotal}). */
  private void putTrafficTotals(Map<String, Object> line) {
    line.put("bytes_up_total", trafficTotal(CommunicationLog.Direction.UP));
    line.put("bytes_down_total", trafficTotal(CommunicationLog.Direction.DOWN));
  }

  /**
   * The bytes sent so far in one direction, as metrics.jsonl's and summary.json's totals count
   * them: the communication log's (every completed round and evaluation, and the attempt this
   * process is in) plus the traffic of the failed attempts of earlier processes of the run, which
   * their {@code round_failed} lines recorded ({@link RunRecorder#failedAttemptBytes}): a resumed
   * run runs a failed round again, and both the failed attempt and the new one crossed the network.
   * A round interrupted by a kill left no line, and its traffic is not counted, nor is that of an
   * attempt a privacy budget stopped in a process killed before its summary.json ({@link
   * RunRecorder#resumeMetrics} drops its {@code stopped_early} line).
   */
  private long trafficTotal(CommunicationLog.Direction direction) {
    return comm.total(direction) + recorder.failedAttemptBytes(direction);
  }

  /**
   * In a multi-task run: each evaluated client's P (accuracy on its own tasks) and TTP (mean
   * accuracy over every task) with its personalised model, and their unweighted means over the
   * clients, under {@code client_personalization}, {@code client_test_time_personalization}, {@code
   * personalization} and {@code test_time_personalization}.
   */
  private static void putPersonalization(Map<String, Object> line, EvaluationReport er) {
    Map<String, Double> p = new TreeMap<>();
    Map<String, Double> ttp = new TreeMap<>();
    er.clientMetrics()
        .forEach(
            (id, m) -> {
              if (m.containsKey(PeftClient.PERSONALIZATION)) {
                p.put(id, m.get(PeftClient.PERSONALIZATION));
              }
              if (m.containsKey(PeftClient.TEST_TIME_PERSONALIZATION)) {
                ttp.put(id, m.get(PeftClient.TEST_TIME_PERSONALIZATION));
              }
            });
    if (ttp.isEmpty()) {
      return;
    }
    line.put("client_" + PeftClient.PERSONALIZATION, p);
    line.put("client_" + PeftClient.TEST_TIME_PERSONALIZATION, ttp);
    line.put(PeftClient.PERSONALIZATION, mean(p));
    line.put(PeftClient.TEST_TIME_PERSONALIZATION, mean(ttp));
  }

  private static double mean(Map<String, Double> values) {
    return values.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  /**
   * Failed clients as metrics.jsonl lists them ({@code failures}, {@code eval_failures}): each as
   * {@code {"client", "kind", "reason"}}, in that key order, so that equal runs write equal bytes
   * ({@code Map.of}'s iteration order changes from one JVM to the next).
   */
  static List<Map<String, String>> failuresLine(List<ClientFailure> failures) {
    List<Map<String, String>> out = new ArrayList<>();
    for (ClientFailure f : failures) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("client", f.clientId());
      m.put("kind", f.kind().name());
      m.put("reason", f.reason());
      out.add(m);
    }
    return out;
  }

  /**
   * The metrics.jsonl line of a round that failed because fewer than server.min_clients clients
   * contributed: {@code "event": "round_failed"}, the round, the clients sampled, how many
   * contributed ({@code accepted}), how many were required, each failed client with its kind and
   * reason (as a completed round's {@code failures}), the failure in words, and the attempt's
   * traffic and the totals after it, as a {@code stopped_early} line has them ({@link
   * #putAttemptTraffic}).
   */
  private Map<String, Object> failedRoundLine(RoundFailedException e) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("event", RunRecorder.FAILED_ROUND);
    line.put("round", e.round());
    line.put("sampled", e.sampled());
    line.put("accepted", e.succeeded());
    line.put("required", e.required());
    line.put("failures", failuresLine(e.failures()));
    line.put(
        "failed",
        e.succeeded()
            + " "
            + Words.plural(e.succeeded(), "client")
            + " contributed, fewer than server.min_clients = "
            + e.required()
            + "; the run stopped, its checkpoint is the last completed round's");
    putAttemptTraffic(line, e.round());
    return line;
  }

  /**
   * A timings.jsonl line: the round's wall time, its clients' fit times summed and the slowest's,
   * the evaluation's, and the share of the round not spent fitting. A round attempt that did not
   * complete ({@link RoundFailedException}) has an {@code event} first: {@code round_failed}
   * (server.min_clients) or {@code stopped_early} (clients declined for their privacy budget), and
   * {@code eval_seconds} 0 (no evaluation ran); so has a round trained by an earlier process and
   * released by a resumed one, {@link #RELEASED_ON_RESUME}, with no fit time.
   *
   * @param event null for a round trained and completed in this process
   */
  private static Map<String, Object> timingLine(
      String event,
      int round,
      double roundSeconds,
      Collection<Double> clientFitSeconds,
      double evalSeconds) {
    double clientSeconds = 0;
    double slowestClient = 0;
    for (double s : clientFitSeconds) {
      clientSeconds += s;
      slowestClient = Math.max(slowestClient, s);
    }
    Map<String, Object> timing = new LinkedHashMap<>();
    if (event != null) {
      timing.put("event", event);
    }
    timing.put("round", round);
    timing.put("round_seconds", roundSeconds);
    timing.put("client_fit_seconds", clientSeconds);
    // With client.parallel = 1 each client is timed alone, and the slowest client plus the rest
    // of the round (round_seconds - client_fit_seconds) is the round's wall time if the clients
    // had trained in parallel on machines of their own.
    timing.put("client_fit_seconds_max", slowestClient);
    timing.put("eval_seconds", evalSeconds);
    timing.put(
        "overhead_fraction",
        roundSeconds > 0 ? Math.max(0, roundSeconds - clientSeconds) / roundSeconds : 0);
    return timing;
  }

  /**
   * The reason to stop cleanly if a round failed because clients declined for their privacy budget
   * (fewer than server.min_clients would remain even if every other client succeeded), or null if
   * it failed for another reason.
   */
  private String budgetStop(RoundFailedException e) {
    long declined =
        e.failures().stream().filter(f -> f.kind() == ClientFailure.Kind.DECLINED).count();
    int sampled = e.succeeded() + e.failures().size();
    if (declined == 0 || sampled - declined >= e.required()) {
      return null;
    }
    return "privacy budget spent: in round "
        + e.round()
        + ", "
        + declined
        + " of the "
        + sampled
        + " sampled clients declined (privacy budget spent), fewer than server.min_clients = "
        + e.required()
        + " remain";
  }

  /**
   * Every client's sample-level epsilon so far, in population order: the one its latest update
   * reported ({@link #REPORTED_EPSILON}), 0 if it never sent one, or the epsilon of its accountant
   * in this process's LOCAL-state store when that is higher. Over the network the accountants stay
   * on the clients and the store is empty, so a server reports what the updates said; in {@code
   * simulate} the store holds every accountant, which also counts the steps of an update that never
   * counted (dropped, timed out, or in a round that then failed) and those taken before a resume
   * from a checkpoint written before the updates' epsilons were kept: epsilon is never reported
   * below what a client spent.
   */
  private double[] clientEpsilons() throws IOException {
    List<ClientData> clients = population.clients();
    double[] e = new double[clients.size()];
    for (int i = 0; i < e.length; i++) {
      String id = clients.get(i).id();
      String reported = state.extra().get(REPORTED_EPSILON + id);
      double held =
          SampleLevelDp.epsilon(
              localState.load(id).orElse(ClientState.EMPTY), config.privacyDelta());
      e[i] = Math.max(reported == null ? 0 : Double.parseDouble(reported), held);
    }
    return e;
  }

  /**
   * {@code s} with the sample-level epsilon each client reported with its update ({@code
   * dp_sample_epsilon} in {@code clientMetrics}, by client id) under {@link #REPORTED_EPSILON}, so
   * that checkpoints and {@code --resume} keep them; {@code s} itself without sample-level DP. A
   * client's accountant only grows, so a lower epsilon than the one kept means it started again (a
   * node given an empty {@code --state}): the updates it sent before were released all the same, so
   * the higher one is kept.
   */
  private ServerState withReportedEpsilons(
      ServerState s, Map<String, Map<String, Double>> clientMetrics) {
    if (settings.sampleDp() == null) {
      return s;
    }
    ServerState.Builder b = s.toBuilder();
    clientMetrics.forEach(
        (id, m) -> {
          Double eps = m.get(PeftClient.SAMPLE_EPSILON_METRIC);
          String kept = s.extra().get(REPORTED_EPSILON + id);
          if (eps != null && !(kept != null && Double.parseDouble(kept) > eps)) {
            b.putExtra(REPORTED_EPSILON + id, Double.toString(eps));
          }
        });
    return b.build();
  }

  private List<String> evalClients(int round) {
    List<String> ids = new ArrayList<>();
    for (ClientData c : population.clients()) {
      // A server that never sees the clients' data asks each of them; one without held-out
      // examples fails its evaluation (eval_failures) and counts for nothing in the mean.
      if (c.holdout().size() > 0 || !population.knowsClientData()) {
        ids.add(c.id());
      }
    }
    int k = config.evalClients();
    if (k == 0 || k >= ids.size()) {
      return ids;
    }
    return new ClientSampler(Seeds.derive(config.seed(), "eval-clients"), k).sample(ids, round);
  }

  /**
   * The global model on the task's test split: the head's accuracy and loss (on a retrieval task
   * also recall@5, recall@10 and MRR of its ranking of the documents), or under the contrastive
   * objective the MIPS metrics with the adapter ({@link EmbeddingRetrieval#evaluate}).
   */
  public Evaluation evaluateGlobal() {
    try (ModelFactory.Instance m = models.instantiate(downlinkOf(state))) {
      if (config.objective().contrastive()) {
        // MIPS with the adapter over the corpus; accuracy is top-1, the loss the contrastive
        // loss over the whole corpus.
        return EmbeddingRetrieval.evaluate(
            m.model(),
            population.documents(),
            population.testSet(),
            config.objective().temperature(),
            LocalTrainer.EVAL_BATCH_SIZE,
            evaluationProgress.start(population.documents().size(), population.testSet().size()));
      }
      LocalTrainer trainer = new LocalTrainer(m.model());
      BatchProgress progress = evaluationProgress.start(0, population.testSet().size());
      // With a retrieval corpus, the head also ranks its documents, by the logits of the
      // evaluation's own pass; accuracy is top-1.
      return ClassifierRetrieval.evaluateHead(
          trainer,
          population.testSet(),
          LocalTrainer.EVAL_BATCH_SIZE,
          population.splits().corpus() != null,
          progress);
    }
  }

  /** What a client would receive: the global tensors plus FedEx residuals. */
  private static Map<String, HostTensor> downlinkOf(ServerState s) {
    Map<String, HostTensor> t = new TreeMap<>(s.global());
    t.putAll(FedExLora.residuals(s));
    return t;
  }

  private void checkpoint() throws IOException {
    checkpoints.save(state, recorder.metricLines(), comm, pendingLine);
    savedRounds = state.round();
  }

  private JsonObject finish(double seconds, double fitSeconds) throws IOException {
    TaskSplits splits = population.splits();
    Evaluation g = population.hasTestSet() ? evaluateGlobal() : null;
    Path adapterDir = out.resolve("adapter");
    // The data file's hash as the run recorded it at its start (AdapterFiles.fullyUsedFileHash
    // would hash the file a second time, and a file changed during the run is not what trained).
    Path dataFile = config.dataFile().isEmpty() ? null : Path.of(config.dataFile());
    boolean testApart = !config.dataTest().isEmpty() || config.data().split().equals("none");
    String fullyUsed =
        AdapterFiles.fullyUsed(dataFile, testApart)
            ? RunInputs.startHash(out, config.dataFile())
            : null;
    saveAdapter(adapterDir, null, Map.of(), fullyUsed);
    // A method with LOCAL tensors: each client's own model (the global tensors plus its LOCAL
    // ones), which `fedpeft eval` evaluates as that client would use it.
    int clientAdapters = 0;
    List<String> localNames = localTensorNames();
    List<ClientData> clients = population.clients();
    BatchProgress saving =
        localNames.isEmpty() ? BatchProgress.NONE : clientAdapterProgress.apply(clients.size());
    int done = 0;
    for (ClientData c : clients) {
      Map<String, HostTensor> local = new TreeMap<>();
      ClientState st = localState.load(c.id()).orElse(ClientState.EMPTY);
      for (String name : localNames) {
        if (st.tensors().containsKey(name)) {
          local.put(name, st.tensors().get(name));
        }
      }
      if (!local.isEmpty()) {
        saveAdapter(
            out.resolve(CLIENTS_DIR).resolve(c.id()).resolve("adapter"), c.id(), local, fullyUsed);
        clientAdapters++;
      }
      saving.onBatch(++done, clients.size());
    }
    JsonObject s = new JsonObject();
    s.addProperty("command", "simulate");
    s.addProperty("task", Tasks.recordedSpec(splits, config.task()));
    s.addProperty("model", base.model().name());
    // What the frozen base computed in (model.precision resolved; as train's summary.json).
    s.addProperty("precision", precision().label());
    s.addProperty("strategy", config.strategy());
    s.addProperty("adapter", config.adapterMethod());
    if (!adapterOptionsInUse.isEmpty()) {
      // Every option as the adapter read it, defaults made explicit (config.json keeps only
      // those set, which a resume needs unchanged).
      s.add("adapter_options_resolved", JsonOut.tree(adapterOptionsInUse));
    }
    s.addProperty("trainable_parameters", trainableParameters);
    s.addProperty("rounds", state.round());
    s.addProperty("rounds_configured", config.rounds());
    if (stopReason != null) {
      s.addProperty("stopped_early", stopReason);
    }
    s.addProperty("clients", config.clients());
    s.addProperty("clients_per_round", config.clientsPerRound());
    if (!config.data().heldByClients()) {
      // A run whose clients hold the data splits none: each client trains on its own file.
      s.addProperty("partition", config.partition());
    }
    if (g != null) {
      s.addProperty("evaluation", "global");
      s.addProperty("test_examples", g.examples());
      s.addProperty("final_accuracy", g.accuracy());
      s.addProperty("final_loss", g.loss());
      JsonObject finalMetrics = new JsonObject();
      g.metrics().forEach(finalMetrics::addProperty);
      s.add("final_metrics", finalMetrics);
    } else {
      FederatedSummary.add(s, recorder.metricLines());
    }
    copyPersonalization(s);
    s.addProperty("bytes_up_total", trafficTotal(CommunicationLog.Direction.UP));
    s.addProperty("bytes_down_total", trafficTotal(CommunicationLog.Direction.DOWN));
    s.addProperty("seconds_this_process", seconds);
    s.addProperty("client_fit_seconds_this_process", fitSeconds);
    s.addProperty("adapter_dir", adapterDir.toString());
    if (clientAdapters > 0) {
      s.addProperty("client_adapters_dir", out.resolve(CLIENTS_DIR).toString());
    }
    if (!localNames.isEmpty()) {
      // Each client evaluates its own model (the global tensors plus its LOCAL ones), also when
      // this process holds none of them (a server: they stay with the clients).
      s.addProperty(CLIENTS_KEEP_LOCAL_TENSORS, true);
    }
    s.addProperty("client_sampling", config.clientSampling());
    s.addProperty("rounds_skipped", recorder.skippedRounds());
    // Client evaluations that failed (metrics.jsonl's eval_failures), so that a run whose client
    // accuracies are missing says why it has none.
    s.addProperty("client_eval_failures", recorder.evalFailures());
    // Client updates that failed in completed rounds (metrics.jsonl's failures, but declined
    // clients): a run whose clients' training diverged, some of them, says so.
    s.addProperty("client_fit_failures", recorder.fitFailures());
    if (config.privacy().noiseless()) {
      // A noise multiplier of 0: epsilon is infinite, so there is none to report, nor a delta
      // (as train --dp-noise 0 records it): the note says so, and "private" is false.
      s.addProperty(
          "privacy",
          config.privacyMode().equals("client")
              ? "client-level DP-FedAvg"
              : "sample-level DP-SGD at each client");
      s.addProperty("epsilon_note", StrategyFactory.privacyNote(config));
      s.addProperty("private", false);
    } else if (config.privacyMode().equals("client")) {
      RdpAccountant acc = ClientLevelDp.accountant(state);
      s.addProperty("privacy", "client-level DP-FedAvg");
      s.addProperty("epsilon", acc.getEpsilon(config.privacyDelta()));
      s.addProperty("delta", config.privacyDelta());
      s.addProperty("epsilon_sampling", StrategyFactory.privacyNote(config));
      s.addProperty("private", StrategyFactory.isPrivate(config));
    } else if (settings.sampleDp() != null) {
      double[] e = clientEpsilons();
      JsonObject per = new JsonObject();
      for (int i = 0; i < e.length; i++) {
        per.addProperty(population.clients().get(i).id(), e[i]);
      }
      s.addProperty("privacy", "sample-level DP-SGD at each client");
      s.addProperty("epsilon", Arrays.stream(e).max().orElse(0));
      s.addProperty("epsilon_mean", Arrays.stream(e).average().orElse(0));
      s.add("epsilon_per_client", per);
      s.addProperty("delta", config.privacyDelta());
      s.addProperty("epsilon_sampling", StrategyFactory.privacyNote(config));
      s.addProperty("private", StrategyFactory.isPrivate(config));
      s.addProperty(
          "not_covered",
          "the example counts clients report for server.weighting = examples, and the"
              + " clients' accuracy on their held-out examples");
    }
    double target = config.eval().targetAccuracy();
    if (target > 0) {
      s.addProperty("target_accuracy", target);
      s.addProperty(
          "rounds_to_target",
          Convergence.roundsToTarget(
              recorder.metricLines(),
              target,
              g != null ? "accuracy" : FederatedSummary.ACCURACY_MEAN));
    }
    if (config.eval().retention()) {
      s.add("retention", measureRetention());
    }
    recorder.writeSummary(s);
    return s;
  }

  /**
   * Retention of the base model's general ability ({@link Retention}): the base model's scores,
   * then the global model's (what a client receives: adapter active, FedEx residuals added), with
   * the seconds it took.
   */
  private JsonObject measureRetention() {
    long start = System.nanoTime();
    Retention r = Retention.load(config.eval().retentionSettings());
    Retention.Scores before =
        r.score(new SentenceEmbedder(base.encoder(), base.tokenizer(), EncoderHooks.NONE));
    Retention.Scores after;
    try (ModelFactory.Instance m = models.instantiate(downlinkOf(state))) {
      Adapter a = m.model().adapter();
      after =
          a == null
              ? before
              : r.score(new SentenceEmbedder(base.encoder(), base.tokenizer(), a, a::prepareBatch));
    }
    JsonObject o = r.compare(before, after).toJson();
    o.addProperty("seconds", (System.nanoTime() - start) / 1e9);
    return o;
  }

  /** Why a run whose clients hold the data cannot run its clients in this process. */
  static final String HELD_BY_CLIENTS =
      "this config's training data is held by the clients (data.labels without data.file): it is"
          + " a 'fedpeft server' config, whose clients bring their own files (client --data);"
          + " to simulate the run, give the clients' examples as data.file";

  /** The folder of the per-client adapter folders of a method with LOCAL tensors. */
  public static final String CLIENTS_DIR = "clients";

  /**
   * summary.json's key, {@code true}, of a run whose method has LOCAL tensors (FedDPA, FedSA-LoRA,
   * ...), in {@code simulate} and {@code server} alike: each client evaluates its own model, so the
   * clients' mean is of their own models, not of the global one. Absent otherwise.
   */
  public static final String CLIENTS_KEEP_LOCAL_TENSORS = "clients_keep_local_tensors";

  /** The names of the model's LOCAL tensors. */
  private List<String> localTensorNames() {
    try (ModelFactory.Instance m = models.instantiate(state.global())) {
      return m.model().tensors().stream()
          .filter(t -> t.role() == Role.LOCAL)
          .map(AdapterTensor::name)
          .toList();
    }
  }

  /**
   * Saves the global model, with {@code local} (a client's LOCAL tensors) loaded over it, as an
   * adapter folder.
   *
   * @param client the client whose model it is, or null for the global model
   * @param fullyUsedFileHash {@link AdapterFiles#FULLY_USED_FILE_SHA256} of the run, or null
   */
  private void saveAdapter(
      Path dir, String client, Map<String, HostTensor> local, String fullyUsedFileHash)
      throws IOException {
    TaskSplits splits = population.splits();
    try (ModelFactory.Instance m = models.instantiate(state.global())) {
      m.model().loadState(local);
      if (client == null) {
        trainableParameters = m.model().trainableParameters(config.objective().contrastive());
      }
      JsonObject extra = new JsonObject();
      // With its parameters, so that eval and retrieve load the task it was trained on.
      extra.addProperty("task", Tasks.recordedSpec(splits, config.task()));
      extra.addProperty("seed", config.seed());
      extra.addProperty("max_eval", config.maxEval());
      if (testCapOrder != null) {
        JsonArray order = new JsonArray();
        testCapOrder.forEach(order::add);
        extra.add(AdapterFiles.TEST_CAP_LABEL_ORDER, order);
      }
      extra.addProperty("strategy", config.strategy());
      extra.addProperty("rounds", state.round());
      if (config.objective().contrastive()) {
        // The head was never trained: retrieval with this adapter is by MIPS.
        extra.addProperty("objective", config.objective().id());
        extra.addProperty("temperature", config.objective().temperature());
      }
      AdapterFiles.recordRetrievalCorpus(extra, splits);
      if (client != null) {
        extra.addProperty("client", client);
      }
      if (fullyUsedFileHash != null) {
        extra.addProperty(AdapterFiles.FULLY_USED_FILE_SHA256, fullyUsedFileHash);
      }
      Map<String, HostTensor> head = new TreeMap<>();
      m.model().head().tensors().forEach(t -> head.put(t.name(), state.global().get(t.name())));
      Map<String, HostTensor> residuals = FedExLora.residuals(state);
      AdapterFiles.save(
          dir,
          m.model().adapter(),
          models.spec().adapterSeed(),
          head,
          splits.labels(),
          splits.taskLabels(),
          base.model(),
          extra,
          folder -> {
            if (!residuals.isEmpty()) {
              org.fedpeft.io.Safetensors.write(
                  folder.resolve("fedex_residual.safetensors"), residuals, Map.of());
            }
          });
    }
  }

  /**
   * P and TTP of the last evaluation (means and per client) into the summary, if the run has them.
   */
  private void copyPersonalization(JsonObject summary) {
    List<String> lines = recorder.metricLines();
    for (int i = lines.size() - 1; i >= 0; i--) {
      JsonObject line = JsonParser.parseString(lines.get(i)).getAsJsonObject();
      if (line.has(PeftClient.TEST_TIME_PERSONALIZATION)) {
        for (String key :
            List.of(PeftClient.PERSONALIZATION, PeftClient.TEST_TIME_PERSONALIZATION)) {
          if (line.has(key)) {
            summary.add(key, line.get(key));
            summary.add(key + "_per_client", line.get("client_" + key));
          }
        }
        return;
      }
    }
  }

  @Override
  public void close() {
    base.close();
  }
}
