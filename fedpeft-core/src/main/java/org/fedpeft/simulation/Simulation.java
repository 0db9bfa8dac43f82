package org.fedpeft.simulation;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.PartitionStats;
import org.fedpeft.data.Partitioners;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSource;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.engine.Engines;
import org.fedpeft.federation.Aggregator;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientConfigurer;
import org.fedpeft.federation.ClientFailure;
import org.fedpeft.federation.ClientSampler;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.EvaluationReport;
import org.fedpeft.federation.FedAvg;
import org.fedpeft.federation.FedExLora;
import org.fedpeft.federation.FedIt;
import org.fedpeft.federation.FederatedRound;
import org.fedpeft.federation.FfaLora;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.federation.ServerOptimizer;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.Strategy;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.federation.WeightedMean;
import org.fedpeft.federation.Weighting;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.lora.LoraConfig;
import org.fedpeft.privacy.BudgetExceededException;
import org.fedpeft.privacy.ClientLevelDp;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.RdpAccountant;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.EncodedExamples;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;

/**
 * An in-process federation of many simulated clients on one shared frozen model.
 *
 * <p>The output folder holds: {@code config.json} (the resolved config), {@code manifest.json}
 * (versions, JVM, OS, git commit, data hashes), {@code partition.json} (label histogram per
 * client), {@code metrics.jsonl} (one line per round and per evaluation; only values that a resumed
 * run reproduces exactly), {@code timings.jsonl} (wall times), {@code checkpoint/state.safetensors}
 * (the server state after the last complete round, with the metrics and communication log so far,
 * written atomically after every round; it also holds every client's LOCAL state, such as its
 * sample-level privacy accountant), and at the end {@code adapter/} (PEFT format) and {@code
 * summary.json}.
 *
 * <p>Resuming reads the checkpoint, rewrites metrics.jsonl to the checkpoint's rounds (dropping
 * lines of an interrupted round) and continues; client sampling, client seeds and dropout all
 * derive from (seed, round, client), so a resumed run ends bit-identical to an uninterrupted one.
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
  }

  static final String CHECKPOINT = "checkpoint/state.safetensors";
  private static final Gson GSON =
      new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

  private final SimulationConfig config;
  private final Path out;
  private final FrozenBase base;
  private final TaskSplits splits;
  private final List<ClientData> clients = new ArrayList<>();
  private final int[][] labelHistogram;
  private final ModelFactory models;
  private final Strategy strategy;
  private final EncodedExamples testSet;
  private final List<String> metricLines = new ArrayList<>();

  /** Every simulated client's LOCAL state (its sample-level accountant); in every checkpoint. */
  private final ClientStateStore localState = ClientStateStore.inMemory();

  private final SampleLevelDp sampleDp;
  private CommunicationLog comm = new CommunicationLog();
  private ServerState state;
  private String stopReason;

  private Simulation(
      SimulationConfig config,
      Path out,
      ServerState checkpoint,
      List<String> lines,
      CommunicationLog log,
      SortedMap<String, ClientState> local)
      throws IOException {
    this.config = config;
    this.out = out;
    this.sampleDp =
        config.privacyMode().equals("sample") ? new SampleLevelDp(sampleDpConfig(config)) : null;
    long seed = config.seed();
    String method = config.adapterMethod().equals("none") ? null : config.adapterMethod();
    Map<String, String> adapterOptions = effectiveAdapterOptions(config);
    if (method != null) {
      AdapterRegistry.get(method).validate(adapterOptions);
    }
    TaskOptions topts =
        TaskOptions.defaults()
            .withMaxTrain(config.maxTrain() == 0 ? TaskOptions.NO_CAP : config.maxTrain())
            .withMaxValidation(1)
            .withMaxTest(config.maxEval());
    this.splits =
        TaskSource.load(
            config.task(),
            config.dataFile().isEmpty() ? null : Path.of(config.dataFile()),
            config.dataTest().isEmpty() ? null : Path.of(config.dataTest()),
            topts,
            seed);
    RunInputs.requireTestExamples(config, splits);
    this.base = new FrozenBase(PretrainedModel.load(config.model()));
    Dataset train = splits.train();
    List<int[]> parts =
        Partitioners.parse(config.partition()).partition(train, config.clients(), seed);
    PartitionStats.requireExactCover(parts, train.size());
    this.labelHistogram = PartitionStats.labelHistogram(train, parts);
    EncodedExamples all = base.encode(train);
    int width = Integer.toString(config.clients() - 1).length();
    for (int c = 0; c < parts.size(); c++) {
      int[] idx = parts.get(c).clone();
      SeededRandom rng = new SeededRandom(Seeds.derive(seed, "holdout", c));
      for (int i = idx.length - 1; i > 0; i--) {
        int j = (int) rng.nextLong(i + 1);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      int hold = (int) Math.round(idx.length * config.clientHoldout());
      hold = Math.min(hold, Math.max(0, idx.length - 1));
      String id = "client-" + String.format("%0" + width + "d", c);
      clients.add(
          new ClientData(
              id,
              c,
              subset(all, Arrays.copyOfRange(idx, hold, idx.length)),
              subset(all, Arrays.copyOfRange(idx, 0, hold))));
    }
    this.testSet = base.encode(splits.test());
    this.models =
        new ModelFactory(base, method, adapterOptions, seed, splits.labels().size(), seed + 1);
    this.strategy = strategy(config);
    if (checkpoint == null) {
      Map<String, HostTensor> initial;
      try (ModelFactory.Instance m = models.instantiate(Map.of())) {
        initial = m.model().state();
      }
      this.state = strategy.initialize(initial);
    } else {
      this.state = checkpoint;
      this.metricLines.addAll(lines);
      this.comm = log;
    }
    for (Map.Entry<String, ClientState> e : local.entrySet()) {
      localState.save(e.getKey(), e.getValue());
    }
  }

  private static EncodedExamples subset(EncodedExamples all, int[] idx) {
    long[][] tokens = new long[idx.length][];
    int[] labels = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      tokens[i] = all.tokens()[idx[i]];
      labels[i] = all.labels()[idx[i]];
    }
    return new EncodedExamples(tokens, labels);
  }

  private Strategy strategy(SimulationConfig c) {
    ServerOptimizer opt =
        switch (c.serverOptimizer()) {
          case "fedavg" -> ServerOptimizer.fedAvg(c.serverLearningRate());
          case "fedavgm" -> ServerOptimizer.fedAvgM(c.serverLearningRate(), c.serverMomentum());
          case "fedadam" ->
              ServerOptimizer.fedAdam(
                  c.serverLearningRate(), c.serverBeta1(), c.serverBeta2(), c.serverTau());
          case "fedyogi" ->
              ServerOptimizer.fedYogi(
                  c.serverLearningRate(), c.serverBeta1(), c.serverBeta2(), c.serverTau());
          case "fedadagrad" ->
              ServerOptimizer.fedAdagrad(c.serverLearningRate(), c.serverBeta1(), c.serverTau());
          default -> throw new IllegalArgumentException("server.optimizer: " + c.serverOptimizer());
        };
    Weighting w = c.weighting().equals("uniform") ? Weighting.UNIFORM : Weighting.EXAMPLES;
    Aggregator aggregator = new WeightedMean(w);
    if (c.privacyMode().equals("client")) {
      aggregator = new ClientLevelDp(dpConfig(c), noiseSource(c));
    }
    StrategyOptions so =
        StrategyOptions.defaults()
            .withMinClients(c.minClients())
            .withAggregator(aggregator)
            .withServerOptimizer(opt)
            .withClientConfig(ClientConfigurer.none());
    boolean lora = c.adapterMethod().equals("lora");
    return switch (c.strategy()) {
      case "fedit" -> new FedIt(so);
      case "fedavg" -> new FedAvg(so);
      case "ffa-lora" -> {
        if (!lora || !"false".equals(effectiveAdapterOptions(c).get("train_a"))) {
          throw new IllegalArgumentException(
              "server.strategy = ffa-lora needs adapter.method = lora with A frozen"
                  + " (adapter.train_a = false, the default for this strategy)");
        }
        yield new FfaLora(so);
      }
      case "fedex-lora" -> {
        if (!lora) {
          throw new IllegalArgumentException("server.strategy = fedex-lora needs LoRA");
        }
        yield new FedExLora(LoraConfig.fromOptions(c.adapterOptions()).scaling(), so);
      }
      default -> throw new IllegalArgumentException("server.strategy: " + c.strategy());
    };
  }

  /** Client-level DP settings; q = m / N only with Poisson client sampling (else q = 1). */
  static ClientLevelDp.Config dpConfig(SimulationConfig c) {
    return new ClientLevelDp.Config(
        c.dpClipNorm(),
        c.dpNoiseMultiplier(),
        c.clientsPerRound(),
        c.clients(),
        c.privacyDelta(),
        c.privacyEpsilon(),
        c.dpAdaptive(),
        c.dpTargetQuantile(),
        c.dpClipLearningRate(),
        c.dpCountNoise(),
        c.poissonSampling());
  }

  /** Sample-level DP settings: expected batch size client.batch_size. */
  static SampleLevelDp.Config sampleDpConfig(SimulationConfig c) {
    return new SampleLevelDp.Config(
        new DpSgd.Config(c.sampleClipNorm(), c.sampleNoiseMultiplier(), c.batchSize()),
        c.privacyEpsilon(),
        c.privacyDelta());
  }

  /** Noise for one release, keyed so that a seeded run (and its resume) draws the same values. */
  @FunctionalInterface
  private interface KeyedNoise {
    GaussianNoise forKeys(long... keys);
  }

  /**
   * The run's noise for one purpose: seeded from (seed, purpose, keys) when privacy.noise = seeded,
   * else one SecureRandom-backed source for every release.
   */
  private static KeyedNoise noise(SimulationConfig c, String purpose) {
    if (c.privacyNoise().equals("seeded")) {
      return keys -> GaussianNoise.seededForTestsOnly(Seeds.derive(c.seed(), purpose, keys));
    }
    GaussianNoise secure = GaussianNoise.secure();
    return keys -> secure;
  }

  /** DP-SGD noise per (round, client). */
  private static SimulatedClient.NoiseSource sampleNoise(SimulationConfig c) {
    KeyedNoise n = noise(c, "dp-sgd-noise");
    return (round, client) -> n.forKeys(round, client);
  }

  /** Client-level DP noise per round. */
  private static java.util.function.IntFunction<GaussianNoise> noiseSource(SimulationConfig c) {
    KeyedNoise n = noise(c, "dp-noise");
    return round -> n.forKeys(round);
  }

  /** True if the run's releases are differentially private (secure noise, positive noise). */
  static boolean isPrivate(SimulationConfig c) {
    return switch (c.privacyMode()) {
      case "client" -> c.privacyNoise().equals("secure") && c.dpNoiseMultiplier() > 0;
      case "sample" -> c.privacyNoise().equals("secure") && c.sampleNoiseMultiplier() > 0;
      default -> false;
    };
  }

  /** The adapter options, with FFA-LoRA's frozen A made explicit. */
  static Map<String, String> effectiveAdapterOptions(SimulationConfig c) {
    Map<String, String> o = new TreeMap<>(c.adapterOptions());
    if (c.strategy().equals("ffa-lora")) {
      o.putIfAbsent("train_a", "false");
    }
    return o;
  }

  /** Prepares a new run in {@code out}; refuses a folder that already holds a checkpoint. */
  public static Simulation create(SimulationConfig config, Path out) throws IOException {
    if (Files.exists(out.resolve(CHECKPOINT))) {
      throw new IllegalArgumentException(
          out
              + " already holds a run; resume it with --resume "
              + out
              + " or choose another --out");
    }
    Files.createDirectories(out);
    config = RunInputs.absolutePaths(config);
    Simulation s =
        new Simulation(config, out, null, List.of(), new CommunicationLog(), new TreeMap<>());
    AtomicFiles.writeString(out.resolve("config.json"), pretty(config.toJson()));
    s.writePartition();
    s.writeManifest();
    RunInputs.recordFileHashes(out, config);
    Files.deleteIfExists(out.resolve("metrics.jsonl"));
    Files.deleteIfExists(out.resolve("timings.jsonl"));
    return s;
  }

  /** Reopens a run from its folder's checkpoint (or from scratch if it has none yet). */
  public static Simulation resume(Path out) throws IOException {
    Path cfgFile = out.resolve("config.json");
    if (!Files.isRegularFile(cfgFile)) {
      throw new IllegalArgumentException(out + ": no config.json, so not a simulation folder");
    }
    SimulationConfig config =
        RunInputs.resolvedAgainst(SimulationConfig.fromJson(Files.readString(cfgFile)), out);
    RunInputs.verifyFiles(out, config);
    Path cp = out.resolve(CHECKPOINT);
    if (!Files.isRegularFile(cp)) {
      Files.deleteIfExists(out.resolve("metrics.jsonl"));
      Simulation fresh =
          new Simulation(config, out, null, List.of(), new CommunicationLog(), new TreeMap<>());
      RunInputs.checkOrClose(fresh, () -> RunInputs.verifySplits(out, config, fresh.splits));
      return fresh;
    }
    ServerState saved = ServerState.load(cp);
    List<String> lines = new ArrayList<>();
    String stored = saved.extra().get("sim.metrics");
    if (stored != null) {
      for (JsonElement e : JsonParser.parseString(stored).getAsJsonArray()) {
        lines.add(e.getAsString());
      }
    }
    String log = saved.extra().get("sim.comm");
    SortedMap<String, ClientState> local = LocalStateCheckpoint.take(saved);
    ServerState clean =
        LocalStateCheckpoint.strip(
            saved.toBuilder().removeExtra("sim.metrics").removeExtra("sim.comm").build());
    Simulation s =
        new Simulation(
            config,
            out,
            clean,
            lines,
            log == null ? new CommunicationLog() : CommunicationLog.fromJson(log),
            local);
    RunInputs.checkOrClose(s, () -> RunInputs.verifySplits(out, config, s.splits));
    AtomicFiles.writeString(
        out.resolve("metrics.jsonl"), lines.isEmpty() ? "" : String.join("\n", lines) + "\n");
    return s;
  }

  public SimulationConfig config() {
    return config;
  }

  public Path out() {
    return out;
  }

  /** Rounds completed so far. */
  public int completedRounds() {
    return state.round();
  }

  public TaskSplits splits() {
    return splits;
  }

  public List<ClientData> clients() {
    return clients;
  }

  /** Runs the remaining rounds, checkpointing after each. Returns the summary. */
  public JsonObject run(Listener listener) throws IOException, InterruptedException {
    Engines.gradModeOffOnThisThread();
    Map<String, ClientApp> apps = new TreeMap<>();
    SimulatedClient.NoiseSource noise = sampleDp == null ? null : sampleNoise(config);
    for (ClientData c : clients) {
      apps.put(c.id(), new SimulatedClient(c, models, config, localState, sampleDp, noise));
    }
    ClientSampler sampler =
        config.poissonSampling()
            ? ClientSampler.poisson(config.seed(), config.clientsPerRound())
            : new ClientSampler(config.seed(), config.clientsPerRound());
    listener.onStart(this, state.round() + 1);
    long runStart = System.nanoTime();
    double fitSeconds = 0;
    // client.parallel clients at once (default: one per core; docs/architecture.md has the
    // measurements).
    // Gradients are recorded per thread (Autograd) and dropout draws from per-step seeded
    // generators (StepRandom), so the results do not depend on the parallelism.
    FederatedRound.Options opts =
        FederatedRound.Options.defaults()
            .withParallelism(config.parallelClients())
            .withClientTimeout(Duration.ofMillis((long) (config.clientTimeoutSeconds() * 1000)));
    try (FederatedRound driver = new FederatedRound(strategy, apps, sampler, comm, opts)) {
      while (state.round() < config.rounds()) {
        RoundReport report;
        try {
          report = driver.run(state);
        } catch (BudgetExceededException e) {
          // Nothing noisy was released for this round; stop and export what we have.
          stopReason = e.getMessage();
          listener.onStop(stopReason);
          break;
        } catch (RoundFailedException e) {
          String reason = budgetStop(e);
          if (reason == null) {
            throw e;
          }
          stopReason = reason;
          listener.onStop(stopReason);
          break;
        }
        state = report.state();
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
        List<Map<String, String>> failures = new ArrayList<>();
        for (ClientFailure f : report.failures()) {
          failures.add(
              Map.of("client", f.clientId(), "kind", f.kind().name(), "reason", f.reason()));
        }
        line.put("failures", failures);
        double lossSum = 0;
        int n = 0;
        double clientSeconds = 0;
        for (var cm : report.clientMetrics().values()) {
          Double l = cm.get("train_loss");
          if (l != null) {
            lossSum += l;
            n++;
          }
          clientSeconds += cm.getOrDefault("fit_seconds", 0.0);
        }
        fitSeconds += clientSeconds;
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
        if (sampleDp != null) {
          double[] e = clientEpsilons();
          line.put("epsilon", Arrays.stream(e).max().orElse(0));
          line.put("epsilon_mean", Arrays.stream(e).average().orElse(0));
          line.put(
              "clients_declined",
              report.failures().stream()
                  .filter(f -> f.kind() == ClientFailure.Kind.DECLINED)
                  .count());
        }
        line.put("bytes_up_total", comm.total(CommunicationLog.Direction.UP));
        line.put("bytes_down_total", comm.total(CommunicationLog.Direction.DOWN));
        boolean evalRound = round % config.evalEvery() == 0 || round == config.rounds();
        long evalStart = System.nanoTime();
        if (evalRound) {
          Evaluation g = evaluateGlobal();
          line.put("accuracy", g.accuracy());
          line.put("loss", g.loss());
          EvaluationReport er = driver.evaluate(state, evalClients(round));
          Map<String, Double> perClient = new TreeMap<>();
          er.clientMetrics().forEach((id, m) -> perClient.put(id, m.get("accuracy")));
          line.put("client_accuracy", perClient);
          line.put("client_accuracy_mean", er.metrics().getOrDefault("accuracy", Double.NaN));
          line.put("eval_bytes_up", er.bytesUp());
          line.put("eval_bytes_down", er.bytesDown());
        }
        double evalSeconds = (System.nanoTime() - evalStart) / 1e9;
        String json = GSON.toJson(line);
        metricLines.add(json);
        appendLine(out.resolve("metrics.jsonl"), json);
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("round", round);
        timing.put("round_seconds", report.seconds());
        timing.put("client_fit_seconds", clientSeconds);
        timing.put("eval_seconds", evalSeconds);
        timing.put(
            "overhead_fraction",
            report.seconds() > 0
                ? Math.max(0, report.seconds() - clientSeconds) / report.seconds()
                : 0);
        appendLine(out.resolve("timings.jsonl"), GSON.toJson(timing));
        PausePoint.reach("round-" + round + "-before-checkpoint");
        checkpoint();
        listener.onRound(report, line);
      }
    }
    JsonObject summary = finish((System.nanoTime() - runStart) / 1e9, fitSeconds);
    return summary;
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

  /** Every client's sample-level epsilon so far, in population order (0 if it never trained). */
  private double[] clientEpsilons() throws IOException {
    double[] e = new double[clients.size()];
    for (int i = 0; i < e.length; i++) {
      e[i] =
          SampleLevelDp.epsilon(
              localState.load(clients.get(i).id()).orElse(ClientState.EMPTY),
              config.privacyDelta());
    }
    return e;
  }

  private List<String> evalClients(int round) {
    List<String> ids = new ArrayList<>();
    for (ClientData c : clients) {
      if (c.holdout().size() > 0) {
        ids.add(c.id());
      }
    }
    int k = config.evalClients();
    if (k == 0 || k >= ids.size()) {
      return ids;
    }
    return new ClientSampler(Seeds.derive(config.seed(), "eval-clients"), k).sample(ids, round);
  }

  /** The global model on the task's test split. */
  public Evaluation evaluateGlobal() {
    try (ModelFactory.Instance m = models.instantiate(downlinkOf(state))) {
      return new LocalTrainer(m.model()).evaluate(testSet, 64);
    }
  }

  /** What a client would receive: the global tensors plus FedEx residuals. */
  private static Map<String, HostTensor> downlinkOf(ServerState s) {
    Map<String, HostTensor> t = new TreeMap<>(s.global());
    t.putAll(FedExLora.residuals(s));
    return t;
  }

  private void checkpoint() throws IOException {
    JsonArray lines = new JsonArray();
    metricLines.forEach(lines::add);
    ServerState.Builder b =
        state.toBuilder()
            .putExtra("sim.metrics", lines.toString())
            .putExtra("sim.comm", comm.toJson());
    LocalStateCheckpoint.put(b, localState.snapshot());
    b.build().save(out.resolve(CHECKPOINT));
  }

  private JsonObject finish(double seconds, double fitSeconds) throws IOException {
    Evaluation g = evaluateGlobal();
    Path adapterDir = out.resolve("adapter");
    try (ModelFactory.Instance m = models.instantiate(state.global())) {
      JsonObject extra = new JsonObject();
      extra.addProperty("task", splits.task());
      extra.addProperty("seed", config.seed());
      extra.addProperty("max_eval", config.maxEval());
      extra.addProperty("strategy", config.strategy());
      extra.addProperty("rounds", state.round());
      Map<String, HostTensor> head = new TreeMap<>();
      m.model().head().tensors().forEach(t -> head.put(t.name(), state.global().get(t.name())));
      Map<String, HostTensor> residuals = FedExLora.residuals(state);
      AdapterFiles.save(
          adapterDir,
          m.model().adapter(),
          head,
          splits.labels(),
          base.model().name(),
          extra,
          folder -> {
            if (!residuals.isEmpty()) {
              org.fedpeft.io.Safetensors.write(
                  folder.resolve("fedex_residual.safetensors"), residuals, Map.of());
            }
          });
    }
    JsonObject s = new JsonObject();
    s.addProperty("command", "simulate");
    s.addProperty("task", splits.task());
    s.addProperty("model", base.model().name());
    s.addProperty("strategy", config.strategy());
    s.addProperty("adapter", config.adapterMethod());
    s.addProperty("rounds", state.round());
    s.addProperty("rounds_configured", config.rounds());
    if (stopReason != null) {
      s.addProperty("stopped_early", stopReason);
    }
    s.addProperty("clients", config.clients());
    s.addProperty("clients_per_round", config.clientsPerRound());
    s.addProperty("partition", config.partition());
    s.addProperty("test_examples", g.examples());
    s.addProperty("final_accuracy", g.accuracy());
    s.addProperty("final_loss", g.loss());
    s.addProperty("bytes_up_total", comm.total(CommunicationLog.Direction.UP));
    s.addProperty("bytes_down_total", comm.total(CommunicationLog.Direction.DOWN));
    s.addProperty("seconds_this_process", seconds);
    s.addProperty("client_fit_seconds_this_process", fitSeconds);
    s.addProperty("adapter_dir", adapterDir.toString());
    s.addProperty("client_sampling", config.clientSampling());
    s.addProperty("rounds_skipped", skippedRounds());
    if (config.privacyMode().equals("client")) {
      RdpAccountant acc = ClientLevelDp.accountant(state);
      s.addProperty("privacy", "client-level DP-FedAvg");
      s.addProperty("epsilon", acc.getEpsilon(config.privacyDelta()));
      s.addProperty("delta", config.privacyDelta());
      s.addProperty("epsilon_sampling", privacyNote(config));
      s.addProperty("private", isPrivate(config));
    } else if (sampleDp != null) {
      double[] e = clientEpsilons();
      JsonObject per = new JsonObject();
      for (int i = 0; i < e.length; i++) {
        per.addProperty(clients.get(i).id(), e[i]);
      }
      s.addProperty("privacy", "sample-level DP-SGD at each client");
      s.addProperty("epsilon", Arrays.stream(e).max().orElse(0));
      s.addProperty("epsilon_mean", Arrays.stream(e).average().orElse(0));
      s.add("epsilon_per_client", per);
      s.addProperty("delta", config.privacyDelta());
      s.addProperty("epsilon_sampling", privacyNote(config));
      s.addProperty("private", isPrivate(config));
      s.addProperty(
          "not_covered",
          "the example counts clients report for server.weighting = examples, and the"
              + " clients' accuracy on their held-out examples");
    }
    AtomicFiles.writeString(out.resolve("summary.json"), GSON.toJson(s) + "\n");
    return s;
  }

  private int skippedRounds() {
    int n = 0;
    for (String l : metricLines) {
      if (JsonParser.parseString(l).getAsJsonObject().has("skipped")) {
        n++;
      }
    }
    return n;
  }

  /** Which analysis the reported epsilon uses. */
  static String privacyNote(SimulationConfig c) {
    return switch (c.privacyMode()) {
      case "client" ->
          dpConfig(c).samplingNote()
              + (c.poissonSampling()
                  ? "; a round that draws fewer than server.min_clients clients is skipped"
                      + " without a release and without a charge, and that the round was skipped"
                      + " is not covered by the analysis (it happens with probability (1 - q)^N"
                      + " for an empty round)"
                  : "");
      case "sample" -> sampleDpConfig(c).samplingNote();
      default -> "no differential privacy in this run";
    };
  }

  private void writePartition() throws IOException {
    JsonObject p = new JsonObject();
    p.add("labels", GSON.toJsonTree(splits.labels()));
    JsonObject per = new JsonObject();
    for (ClientData c : clients) {
      JsonObject o = new JsonObject();
      o.add("label_histogram", GSON.toJsonTree(labelHistogram[c.index()]));
      o.addProperty("train", c.train().size());
      o.addProperty("holdout", c.holdout().size());
      per.add(c.id(), o);
    }
    p.add("clients", per);
    AtomicFiles.writeString(out.resolve("partition.json"), GSON.toJson(p) + "\n");
  }

  private void writeManifest() throws IOException {
    JsonObject m = new JsonObject();
    m.add("config", JsonParser.parseString(config.toJson()));
    m.addProperty("seed", config.seed());
    m.addProperty("fedpeft_version", version());
    m.addProperty("git_commit", RunManifest.gitCommit());
    m.addProperty("djl", "0.35.1");
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
    JsonObject data = new JsonObject();
    data.addProperty("train_sha256", splits.train().sha256());
    data.addProperty("test_sha256", splits.test().sha256());
    data.addProperty("train_examples", splits.train().size());
    data.addProperty("test_examples", splits.test().size());
    m.add("data", data);
    m.addProperty("private", isPrivate(config));
    String noise =
        config.privacyNoise().equals("secure")
            ? "from SecureRandom"
            : "SEEDED from the run seed: reproducible, NOT private";
    m.addProperty(
        "privacy_note",
        switch (config.privacyMode()) {
          case "client" ->
              "client-level DP-FedAvg, z = "
                  + config.dpNoiseMultiplier()
                  + ", noise "
                  + noise
                  + "; "
                  + privacyNote(config);
          case "sample" ->
              "sample-level DP-SGD at each client, sigma = "
                  + config.sampleNoiseMultiplier()
                  + ", C = "
                  + config.sampleClipNorm()
                  + ", noise "
                  + noise
                  + "; "
                  + privacyNote(config);
          default -> privacyNote(config);
        });
    AtomicFiles.writeString(out.resolve("manifest.json"), GSON.toJson(m) + "\n");
  }

  private static String version() {
    String v = Simulation.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  private static String pretty(String json) {
    return new GsonBuilder().setPrettyPrinting().create().toJson(JsonParser.parseString(json))
        + "\n";
  }

  private static void appendLine(Path file, String line) throws IOException {
    Files.writeString(
        file,
        line + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  @Override
  public void close() {
    base.close();
  }
}
