package org.fedpeft.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.heads.HeadSection;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.JsonFileException;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.JsonOut;
import org.fedpeft.io.StartRecord;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.PrivacyBudget;
import org.fedpeft.privacy.PrivacySpent;
import org.fedpeft.privacy.RdpAccountant;
import org.fedpeft.retrieval.ClassifierRetrieval;
import org.fedpeft.retrieval.DocumentHeadInit;
import org.fedpeft.retrieval.EmbeddingRetrieval;
import org.fedpeft.run.PausePoint;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.ContrastiveLoss;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.Objective;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpeft train}: centralised fine-tuning of an adapter and a head. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Fine-tunes an adapter and a classification head on one dataset (centralised, no"
          + " federation), evaluating on the validation split as it goes and on the test split"
          + " at the end.",
      "Writes to the output folder: adapter/ (the fedpeft adapter folder with head.safetensors,"
          + " plus Hugging Face PEFT's format for LoRA, Ravan and Fed-SB; with --adapter none the"
          + " head alone),"
          + " metrics.jsonl (one line per logged step and evaluation), timings.jsonl (the training"
          + " time at each periodic evaluation), summary.json, train.json"
          + " (the arguments and data hashes, for --resume) and checkpoint/ (the state every"
          + " --checkpoint-every steps); --resume DIR continues an interrupted run.",
      "A method whose parts exist only across federated rounds is refused, saying why (feddpa:"
          + " use simulate, or --adapter lora with twice its rank and alpha)."
    })
public final class TrainCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin PlainModelOption model;

  @Mixin AdapterOptions adapter;

  @Mixin DataOptions data;

  @Mixin TrainOptions train;

  @Option(
      names = {"-o", "--out"},
      paramLabel = "DIR",
      description =
          "Output folder, new or empty (default: a new runs/train-<date-time>-p<pid>). A folder"
              + " another process is writing is refused; one holding a run needs --force.")
  Path out;

  @Option(
      names = "--force",
      description =
          "Replace the --out folder (needs --out) if it holds a run (of train or another command): the old"
              + " folder is set aside, and removed whole once the new run has started (its"
              + " input accepted); a run refused on its input puts it back.")
  boolean force;

  @Option(
      names = "--resume",
      paramLabel = "DIR",
      description =
          "Continue the interrupted train run in DIR from its last checkpoint, with the options"
              + " it started with (recorded in DIR/train.json, which its checkpoint keeps a copy"
              + " of: an edited train.json is refused); the result is bit-identical to an"
              + " uninterrupted run (DP-SGD: same batches and exact privacy accounting, fresh"
              + " noise for the steps after the checkpoint, none of which was evaluated).")
  Path resume;

  @Option(
      names = "--checkpoint-every",
      paramLabel = "N",
      defaultValue = "50",
      description =
          "Save a checkpoint (DIR/checkpoint/train-state.safetensors) every N steps, for"
              + " --resume; 0: none. Without --dp-noise none is saved after the last step (it"
              + " writes the result), so a given N must be below --steps. With --dp-noise and"
              + " N > 0, also at each evaluated step (--eval-every, the last step, a stop by the"
              + " budget), before its evaluation is written, so that a resume never draws again a"
              + " model whose evaluation was shown (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(
      names = "--eval-every",
      paramLabel = "N",
      defaultValue = "100",
      description =
          "Evaluate on the --eval-split every N steps, and after the last step in any case; 0:"
              + " only after the last; given, N must be below --steps (N >= --steps would"
              + " evaluate only after the last, as 0 does) (default: ${DEFAULT-VALUE}).")
  int evalEvery;

  @Option(
      names = "--eval-split",
      paramLabel = "SPLIT",
      defaultValue = "validation",
      description =
          "The split of the periodic evaluations: validation (metrics.jsonl events"
              + " \"validation\"), or test (events \"test_during_training\", for a"
              + " time-to-accuracy curve with timings.jsonl's train_seconds; never pick settings"
              + " on it) (default: ${DEFAULT-VALUE}).")
  String evalSplit;

  @Option(
      names = "--objective",
      paramLabel = "NAME",
      defaultValue = "classification",
      description =
          "classification: the head's cross-entropy (on retrieval data, classifier-as-retriever"
              + " over the document ids); contrastive: InfoNCE between each query's and its"
              + " document's sentence embeddings with in-batch negatives, for retrieval data (a"
              + " retrieval task or --corpus) and an adapter; trains the adapter only (the head"
              + " is unused) and evaluates by MIPS with the adapter (default: ${DEFAULT-VALUE}).")
  String objective;

  @Option(
      names = "--temperature",
      paramLabel = "TAU",
      defaultValue = "0.05",
      description =
          "Temperature of --objective contrastive, and only of it (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--head-init",
      paramLabel = "NAME",
      defaultValue = "random",
      description =
          "How the head starts (not with --objective contrastive): random (N(0, 0.02^2) from --seed, bias 0) or documents (retrieval"
              + " data only: row d is --head-scale times document d's unit sentence embedding, bias"
              + " 0, so before training the head ranks documents as MIPS does)"
              + " (default: ${DEFAULT-VALUE}).")
  String headInit;

  @Option(
      names = "--head-scale",
      paramLabel = "S",
      defaultValue = "20",
      description =
          "--head-init documents (and only it): the length of each weight row, an inverse"
              + " temperature (default: ${DEFAULT-VALUE}).")
  double headScale;

  @Option(
      names = "--dp-noise",
      paramLabel = "SIGMA",
      description =
          "Train with sample-level DP-SGD: Poisson batches of expected size"
              + " --batch-size, per-example clipping to --dp-clip, Gaussian noise SIGMA x clip"
              + " (SecureRandom). Off by default. 0 clips without noise: the run is NOT private"
              + " (summary.json: \"private\": false, no epsilon) and takes no --dp-epsilon above 0.")
  Double dpNoise;

  @Option(
      names = "--dp-clip",
      paramLabel = "C",
      defaultValue = "1.0",
      description = "DP-SGD per-example clip norm (default: ${DEFAULT-VALUE}).")
  double dpClip;

  @Option(
      names = "--dp-epsilon",
      paramLabel = "E",
      description =
          "DP-SGD budget: stop before a step that would exceed it; 0 means no budget, as"
              + " privacy.epsilon = 0 in simulate (default: none). A run it stops ends as a run"
              + " of the steps it took: its last step evaluated on the --eval-split and the"
              + " test split, the adapter saved, summary.json's stopped_early saying after which"
              + " step and why (steps_taken: how many). If even the first step would exceed it,"
              + " nothing is trained and the command fails.")
  Double dpEpsilon;

  @Option(
      names = "--dp-delta",
      paramLabel = "D",
      defaultValue = "1e-5",
      description =
          "Delta of the reported epsilon; needs --dp-noise > 0 (default: ${DEFAULT-VALUE}).")
  double dpDelta;

  /** The run's record in its folder: the arguments it started with and its data's hashes. */
  static final String RUN_FILE = "train.json";

  /** What a run with --dp-noise 0 has instead of an epsilon. */
  private static final String NO_NOISE = PrivacySpent.noNoiseNote("--dp-noise 0", "the gradients");

  /** Steps saved in the last checkpoint, for the message on Ctrl-C. */
  private volatile int savedStep;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    if (resume != null) {
      var parsed = spec.commandLine().getParseResult();
      if (parsed.matchedOptions().size() != 1 || !parsed.matchedPositionals().isEmpty()) {
        throw new UserInputException(
            "--resume takes only the run folder: the run continues with the options it started"
                + " with (recorded in "
                + resume.resolve(RUN_FILE)
                + ")");
      }
      try (RunGuard guard = RunGuard.resume(resume, "train", err)) {
        guard.requireStartWritten();
        TrainCommand stored = stored(guard.path());
        if (guard.finished()) {
          throw new UserInputException(guard.finishedRun("train run") + "; nothing to resume");
        }
        requireStartRecord(guard.path(), stored.runRecord);
        stored.adapter.refuseCentralisedTraining();
        return stored.runIn(guard, stdout, err, true);
      }
    }
    validateOptions();
    try (RunGuard guard = RunGuard.newRun(out, "train", force, err)) {
      JsonObject run = new JsonObject();
      run.addProperty("command", "train");
      JsonArray args = new JsonArray();
      // The original arguments start with the top-level command line ("train" and anything
      // before it); keep what follows the subcommand's name.
      List<String> original = spec.commandLine().getParseResult().originalArgs();
      int at = original.indexOf(spec.name());
      original.subList(at + 1, original.size()).forEach(args::add);
      run.add("args", args);
      run.addProperty("cwd", Path.of("").toAbsolutePath().toString());
      runRecord = run; // written once the model and the data have loaded
      return runIn(guard, stdout, err, false);
    }
  }

  /** The objective of --objective and --temperature. */
  private Objective trainingObjective() {
    try {
      return Objective.parse(objective, temperature);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("--" + e.getMessage(), e);
    }
  }

  /** Checks every option that can be checked before the run folder is taken. */
  private void validateOptions() {
    train.config();
    model.precisionSetting();
    adapter.refuseCentralisedTraining();
    if (trainingObjective().contrastive()) {
      if (dpNoise != null) {
        throw new UserInputException(
            "--objective contrastive cannot train with DP-SGD (--dp-noise): with in-batch"
                + " negatives an example's loss depends on the other examples of its batch, so"
                + " clipping each example's gradient does not bound one example's influence");
      }
      if (adapter.methodOrNull() == null) {
        throw new UserInputException(
            "--objective contrastive trains the adapter only (the head is unused), so it needs"
                + " --adapter with a method other than none");
      }
    }
    if (dpNoise != null) {
      // Checked here, naming the options (the library's messages name its parameters).
      if (!(dpNoise >= 0) || Double.isInfinite(dpNoise)) {
        throw new UserInputException("--dp-noise must be a finite number >= 0, got " + dpNoise);
      }
      if (!(dpClip > 0) || Double.isInfinite(dpClip)) {
        throw new UserInputException("--dp-clip must be a finite number > 0, got " + dpClip);
      }
      if (!(dpDelta > 0 && dpDelta < 1)) {
        throw new UserInputException("--dp-delta must be in (0, 1), got " + dpDelta);
      }
      if (dpEpsilon != null && !(dpEpsilon >= 0)) {
        throw new UserInputException("--dp-epsilon must be >= 0, got " + dpEpsilon);
      }
      if (dpNoise == 0 && dpEpsilon != null && dpEpsilon > 0) {
        // As simulate refuses privacy.*.noise_multiplier = 0 with privacy.epsilon > 0.
        throw new UserInputException(
            "--dp-noise 0 adds no noise, so the budget --dp-epsilon "
                + dpEpsilon
                + " can never be met (without noise epsilon is infinite) and nothing would be"
                + " trained; give --dp-noise > 0 ("
                + Launcher.command("privacy noise")
                + " picks one), or leave out --dp-epsilon for a run without a privacy guarantee");
      }
      try {
        new DpSgd.Config(dpClip, dpNoise, train.config().batchSize());
        new PrivacyBudget(budgetEpsilon(), dpDelta);
      } catch (IllegalArgumentException e) {
        throw new UserInputException(e.getMessage(), e);
      }
    } else {
      for (String option : List.of("--dp-epsilon", "--dp-clip", "--dp-delta")) {
        if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
          throw new UserInputException(
              option + " needs --dp-noise (without it the run is not private, so it does nothing)");
        }
      }
    }
    try {
      new HeadSection(headInit, headScale);
    } catch (IllegalArgumentException e) {
      throw new UserInputException(
          e.getMessage().replace("head.init", "--head-init").replace("head.scale", "--head-scale"),
          e);
    }
    refuseUnused();
    if (evalEvery < 0) {
      throw new UserInputException("--eval-every must be >= 0, got " + evalEvery);
    }
    if (!evalSplit.equals("validation") && !evalSplit.equals("test")) {
      throw new UserInputException("--eval-split must be validation or test, got " + evalSplit);
    }
    if (checkpointEvery < 0) {
      throw new UserInputException("--checkpoint-every must be >= 0, got " + checkpointEvery);
    }
    adapter.methodOrNull();
  }

  /** Whether {@code step} of {@code total} is evaluated: every --eval-every steps and the last. */
  private boolean evaluated(int step, int total) {
    return (evalEvery > 0 && step % evalEvery == 0) || step == total;
  }

  /**
   * Whether the checkpoint is saved after {@code step} of {@code total} (before the step's
   * evaluation): every --checkpoint-every steps before the last, none after the last (the run
   * writes its result) and, under DP-SGD ({@code dp}), also at each {@link #evaluated evaluated}
   * step, the last included, since a resume draws the noise of the steps after its checkpoint
   * afresh and must not draw again a model whose evaluation was written. --checkpoint-every 0: no
   * step.
   */
  private boolean checkpointed(int step, int total, boolean dp) {
    return checkpointEvery > 0
        && ((step % checkpointEvery == 0 && step < total) || (dp && evaluated(step, total)));
  }

  /**
   * Refuses an option given on the command line that does nothing with the others given, naming it
   * and saying why (it was silently accepted, and the user believed it had an effect).
   */
  private void refuseUnused() {
    var parsed = spec.commandLine().getParseResult();
    boolean contrastive = trainingObjective().contrastive();
    if (contrastive) {
      // The head is never trained nor used: retrieval is by MIPS with the adapter.
      for (String option : List.of("--head-lr", "--head-init", "--head-scale")) {
        if (parsed.hasMatchedOption(option)) {
          throw new UserInputException(
              option
                  + " is about the classification head, and --objective contrastive trains the"
                  + " adapter only (the head is neither trained nor used: retrieval is by MIPS),"
                  + " so it does nothing; leave out "
                  + option
                  + ", or train with --objective classification");
        }
      }
    }
    if (parsed.hasMatchedOption("--lr")
        && parsed.hasMatchedOption("--head-lr")
        && adapter.method.equals("none")) {
      throw new UserInputException(
          "--lr is the learning rate of the adapter, and --adapter none has no adapter: the head,"
              + " the only part trained, takes --head-lr, so --lr does nothing; give the head's"
              + " rate as --lr (or as --head-lr) alone");
    }
    if (dpNoise != null && parsed.hasMatchedOption("--max-grad-norm")) {
      throw new UserInputException(
          "--max-grad-norm clips the batch's gradient in ordinary training, and DP-SGD (--dp-noise)"
              + " clips each example's gradient to --dp-clip instead, so it does nothing; leave out"
              + " --max-grad-norm (--dp-clip is DP-SGD's clip norm)");
    }
    if (dpNoise != null && dpNoise == 0 && parsed.hasMatchedOption("--dp-delta")) {
      throw new UserInputException(
          "--dp-delta is the delta of the reported epsilon, and "
              + NO_NOISE
              + ", so none is reported and --dp-delta does nothing; give --dp-noise > 0, or"
              + " leave out --dp-delta");
    }
    if (data.data != null && parsed.hasMatchedOption("--task")) {
      throw new UserInputException(
          "--task "
              + data.task
              + " does nothing with --data: the run trains on "
              + data.data
              + "; leave out --task, or --data to train on the task");
    }
    if (parsed.hasMatchedOption("--warmup")
        && train.warmup > 0
        && train.config().warmupSteps() == 0) {
      throw new UserInputException(
          String.format(
              Locale.ROOT,
              "--warmup %s of --steps %d rounds to 0 warm-up steps, so it does nothing; give"
                  + " --warmup >= %s (one step), or --warmup 0",
              train.warmup,
              train.steps,
              0.5 / train.steps));
    }
    // Under DP-SGD any N > 0 also checkpoints each evaluated step, the last included.
    if (parsed.hasMatchedOption("--checkpoint-every")
        && dpNoise == null
        && checkpointEvery > 0
        && checkpointEvery >= train.steps) {
      throw new UserInputException(
          "--checkpoint-every "
              + checkpointEvery
              + " saves no checkpoint in a run of --steps "
              + train.steps
              + " without --dp-noise (none is saved after the last step, which writes the"
              + " result), so it does nothing; give N below --steps, or 0 for no checkpoints");
    }
    if (parsed.hasMatchedOption("--eval-every") && evalEvery > 0 && evalEvery >= train.steps) {
      throw new UserInputException(
          "--eval-every "
              + evalEvery
              + " evaluates no step before the last in a run of --steps "
              + train.steps
              + " (the last step is evaluated in any case), so it does nothing; give N below"
              + " --steps, or 0 for the final evaluation only");
    }
    if (parsed.hasMatchedOption("--temperature") && !trainingObjective().contrastive()) {
      throw new UserInputException(
          "--temperature is the contrastive objective's temperature, so with --objective "
              + objective
              + " it does nothing; give --objective contrastive, or leave out --temperature");
    }
    if (parsed.hasMatchedOption("--head-scale") && !headInit.equals("documents")) {
      throw new UserInputException(
          "--head-scale is the length of the head's rows with --head-init documents, so with"
              + " --head-init "
              + headInit
              + " it does nothing; give --head-init documents, or leave out --head-scale");
    }
    // Before the inert options: one of those may be inert only for want of a federated option.
    adapter.refuseFederatedOnly();
    adapter.refuseOptionsWithoutAdapter();
  }

  /** The epsilon budget: none (infinite) without --dp-epsilon or with --dp-epsilon 0. */
  private double budgetEpsilon() {
    return dpEpsilon == null || dpEpsilon == 0 ? Double.POSITIVE_INFINITY : dpEpsilon;
  }

  /**
   * The command a run folder's train.json records, with its relative data and model paths, and the
   * adapter options that name files ({@link AdapterOptions#resolvePathsAgainst}), resolved against
   * the directory it was started from. The file is read as the other JSON files of run folders are
   * ({@link JsonFiles#readObject}: strict UTF-8, Gson's messages cleaned); a damaged one is bad
   * input naming it.
   */
  private static TrainCommand stored(Path dir) throws IOException {
    Path file = dir.resolve(RUN_FILE);
    if (!Files.isRegularFile(file)) {
      throw new UserInputException(
          file + ": missing, so " + dir + " is not a train run folder that can be resumed");
    }
    JsonObject run;
    List<String> args = new ArrayList<>();
    Path cwd;
    String precision;
    try {
      run = JsonFiles.readObject(file);
      if (!run.has("args") || !run.get("args").isJsonArray()) {
        throw new IllegalArgumentException("\"args\" must be an array of strings");
      }
      for (JsonElement a : run.getAsJsonArray("args")) {
        args.add(a.getAsString());
      }
      cwd = Path.of(string(run, "cwd"));
      precision = run.has("precision") ? string(run, "precision") : null;
      if (run.has("data")) {
        // The split hashes a resume compares (recordOrVerifyData), recorded once the data loaded.
        JsonObject d = object(run, "data");
        for (String key : List.of("train_sha256", "test_sha256")) {
          if (d.has(key)) {
            string(d, "data.", key);
          }
        }
      }
    } catch (JsonFileException e) { // not UTF-8, not JSON, not an object: the reason says which
      throw new UserInputException(file + ": not a valid train.json: " + e.reason(), e);
    } catch (RuntimeException e) {
      throw new UserInputException(file + ": not a valid train.json: " + e.getMessage(), e);
    }
    TrainCommand c = new TrainCommand();
    try {
      new CommandLine(c).parseArgs(args.toArray(new String[0]));
    } catch (CommandLine.ParameterException e) {
      throw new UserInputException(file + ": its arguments no longer parse: " + e.getMessage(), e);
    }
    if (c.data.data != null) {
      c.data.data = cwd.resolve(c.data.data).normalize();
    }
    if (c.data.test != null) {
      c.data.test = cwd.resolve(c.data.test).normalize();
    }
    if (c.data.corpus != null) {
      c.data.corpus = cwd.resolve(c.data.corpus).normalize();
    }
    if (c.model.model != null && Files.isDirectory(cwd.resolve(c.model.model))) {
      c.model.model = cwd.resolve(c.model.model).normalize().toString();
    }
    c.adapter.resolvePathsAgainst(cwd); // a relative factors file, say
    // --precision auto resolves per machine: a resume computes in what the run started with.
    if (precision != null && "auto".equals(c.model.precision)) {
      c.model.precision = precision;
    }
    c.runRecord = run;
    return c;
  }

  /**
   * The string member {@code key} of a train.json.
   *
   * @throws IllegalArgumentException if it is missing or not a string
   */
  private static String string(JsonObject run, String key) {
    return string(run, "", key);
  }

  /**
   * The string member {@code key} of an object of a train.json that sits at {@code path} ({@code
   * ""} for the file's top level, {@code "data."} for its "data" object), named in errors by the
   * two together ({@code "data.train_sha256"}).
   *
   * @throws IllegalArgumentException if it is missing or not a string
   */
  private static String string(JsonObject o, String path, String key) {
    JsonElement v = o.get(key);
    if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
      throw notA("a string", path + key, v);
    }
    return v.getAsString();
  }

  /**
   * The object member {@code key} of a train.json.
   *
   * @throws IllegalArgumentException if it is missing or not an object
   */
  private static JsonObject object(JsonObject run, String key) {
    JsonElement v = run.get(key);
    if (v == null || !v.isJsonObject()) {
      throw notA("an object", key, v);
    }
    return v.getAsJsonObject();
  }

  /** The error for the train.json member {@code name} that is {@code v} (null: missing). */
  private static IllegalArgumentException notA(String kind, String name, JsonElement v) {
    return new IllegalArgumentException(
        "\"" + name + "\" must be " + kind + ", " + (v == null ? "it is missing" : "got " + v));
  }

  /**
   * {@code asked} with its batch size capped at the {@code trainSize} training examples, with a
   * note on {@code err} when it is: a batch cannot hold an example twice, so without DP-SGD each
   * step takes every example once, and with DP-SGD the expected batch size is the training set's
   * size (sampling rate q = 1), which also divides the noisy gradient sum.
   */
  private TrainConfig cappedBatch(TrainConfig asked, int trainSize, PrintWriter err) {
    if (trainSize < 1 || asked.batchSize() <= trainSize) {
      return asked;
    }
    err.printf(
        Locale.ROOT,
        "note: --batch-size %d is more than the %d training %s, so each step's batch is %s%s%n",
        asked.batchSize(),
        trainSize,
        Main.plural(trainSize, "example"),
        trainSize == 1 ? "that one" : "all " + trainSize + " of them",
        dpNoise == null
            ? ""
            : " (DP-SGD: every example is in every batch, sampling rate q = 1, with no"
                + " amplification by sampling)");
    return asked.withBatchSize(trainSize);
  }

  /**
   * Refuses to resume from a checkpoint whose copy of train.json differs from train.json as it is
   * now (edited since the run started), naming the first differing option or key and both values,
   * as a simulate resume refuses a config.json that differs from manifest.json ({@link
   * StartRecord}). Without a checkpoint (or one that predates the copy) there is nothing to
   * compare: the run starts again from step 1 with the options in train.json.
   */
  private static void requireStartRecord(Path dir, JsonObject now) throws IOException {
    Optional<String> then = TrainCheckpoint.startRecord(dir);
    if (then.isEmpty()) {
      return;
    }
    JsonObject started;
    try {
      started = JsonFiles.parse(then.get()).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new UserInputException(
          dir.resolve(TrainCheckpoint.FILE)
              + ": its copy of train.json is not valid JSON ("
              + JsonFiles.reason(e)
              + ")",
          e);
    }
    try {
      StartRecord.requireSame(
          recordValues(now),
          recordValues(started),
          dir.resolve(RUN_FILE),
          "the checkpoint (" + TrainCheckpoint.FILE + ")",
          "options");
    } catch (IllegalArgumentException e) {
      throw new UserInputException(e.getMessage(), e);
    }
  }

  /**
   * A train.json as flat values to compare: each option of {@code args} by its longest name (e.g.
   * {@code --steps}) with the value given, and the other members by name, nested ones as {@code
   * data.train_sha256}.
   */
  static Map<String, Object> recordValues(JsonObject run) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : run.entrySet()) {
      if (e.getKey().equals("args") && e.getValue().isJsonArray()) {
        List<String> args = new ArrayList<>();
        e.getValue().getAsJsonArray().forEach(a -> args.add(a.getAsString()));
        try {
          var parsed = new CommandLine(new TrainCommand()).parseArgs(args.toArray(new String[0]));
          for (var option : parsed.matchedOptions()) {
            values.put(
                option.longestName(),
                option.arity().max() == 0
                    ? "given"
                    : String.join(" ", option.originalStringValues()));
          }
          parsed
              .matchedPositionals()
              .forEach(p -> values.put("arguments", p.originalStringValues()));
        } catch (RuntimeException x) { // picocli's ParameterException too
          values.put("args", args); // compared as written
        }
      } else if (e.getValue().isJsonObject()) {
        recordValues(e.getValue().getAsJsonObject())
            .forEach((k, v) -> values.put(e.getKey() + "." + k, v));
      } else {
        values.put(e.getKey(), e.getValue().isJsonNull() ? null : e.getValue());
      }
    }
    return values;
  }

  /**
   * "fedpeft train --resume DIR starts the run again from step 1", fedpeft as the user ran it
   * ({@link RunGuard#resumeCommand}).
   */
  private static String startsAgain(Path dir) {
    return RunGuard.resumeCommand("train", dir, "") + " starts the run again from step 1";
  }

  /** The run's train.json once read (resume) or written (new run). */
  private JsonObject runRecord;

  private Integer runIn(RunGuard guard, PrintWriter stdout, PrintWriter err, boolean resuming)
      throws Exception {
    TrainConfig asked = train.config();
    String method = adapter.methodOrNull();
    Path dir = guard.path();
    // The data first: a problem in it is reported before the model's load.
    TaskSplits splits = data.load(asked.seed());
    Objective goal = trainingObjective();
    if (goal.contrastive() && splits.retrievalCorpus().isEmpty()) {
      throw new UserInputException(
          "--objective contrastive needs retrieval data: "
              + data.describe()
              + " has no corpus (use a retrieval task such as "
              + org.fedpeft.data.Tasks.SENSE_RETRIEVAL
              + ", or --corpus with query files)");
    }
    if (headInit.equals("documents")
        && (splits.retrievalCorpus().isEmpty() || splits.isMultiTask())) {
      throw new UserInputException(
          "--head-init documents needs single-task retrieval data: "
              + data.describe()
              + (splits.isMultiTask() ? " has several tasks" : " has no corpus")
              + " (use a retrieval task such as "
              + org.fedpeft.data.Tasks.SENSE_RETRIEVAL
              + ", or --corpus with query files)");
    }
    try {
      splits.requireTwoLabelsPerTask(data.describe());
    } catch (IllegalArgumentException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    if (splits.test().size() == 0) {
      throw new UserInputException(
          data.describe()
              + ": the test split is empty ("
              + splits.train().size()
              + " training examples); give more examples per label, or a test file with --test");
    }
    TrainConfig cfg = cappedBatch(asked, splits.train().size(), err);
    DpSgd.Config dpConfig =
        dpNoise == null ? null : new DpSgd.Config(dpClip, dpNoise, cfg.batchSize());
    PrivacyBudget budget = null;
    PretrainedModel pretrained = model.load();
    if (!resuming && runRecord != null) {
      // What --precision resolved to (auto: on this machine), for --resume.
      runRecord.addProperty("precision", pretrained.precision().precision().label());
    }
    String duplicates = data.data == null ? null : splits.duplicateTextWarning(data.describe());
    if (duplicates != null) {
      err.println(duplicates);
    }
    if (!resuming) {
      // train.json is the run's first file: from now on an interruption keeps the folder.
      guard.onInterrupt(
          () -> "interrupted while the run was starting: nothing was trained; " + startsAgain(dir));
    }
    recordOrVerifyData(dir, splits, resuming);
    if (!resuming) {
      PausePoint.reach("train-starting");
    }
    TrainCheckpoint checkpoint = resuming ? TrainCheckpoint.load(dir).orElse(null) : null;
    int firstStep = checkpoint == null ? 0 : checkpoint.step();
    // A checkpoint is written before the evaluation of its step, so it holds that evaluation's
    // line only if written by an older fedpeft (which evaluated first); otherwise a resume
    // evaluates the step again and drops the killed process's timings line of it.
    boolean checkpointEvaluated =
        checkpoint != null && holdsEvaluation(checkpoint.metricLines(), firstStep);
    if (dpConfig != null) {
      if (checkpoint != null && checkpoint.accountant() == null) {
        throw new UserInputException(
            dir.resolve(TrainCheckpoint.FILE)
                + ": a DP-SGD run's checkpoint without its accountant");
      }
      budget =
          new PrivacyBudget(
              budgetEpsilon(),
              dpDelta,
              checkpoint == null
                  ? new RdpAccountant()
                  : RdpAccountant.fromJson(checkpoint.accountant()));
    }
    savedStep = firstStep;
    if (resuming) {
      err.printf(Locale.ROOT, "resuming %s after step %d of %d%n", dir, firstStep, cfg.steps());
    }
    err.printf(
        Locale.ROOT,
        "data: %s, %d %s, %d train / %d validation / %d test %s%n",
        data.describe(),
        splits.labels().size(),
        Main.plural(splits.labels().size(), "label"),
        splits.train().size(),
        splits.validation().size(),
        splits.test().size(),
        Main.plural(splits.test().size(), "example"));
    if (dpConfig != null && dpConfig.noiseMultiplier() == 0) {
      err.println("note: the run clips each example's gradient but is NOT private: " + NO_NOISE);
    }
    boolean checkpoints = checkpointEvery > 0;
    boolean dpSgd = dpConfig != null;
    int firstCheckpoint = 0; // none, as a default --checkpoint-every >= --steps without DP-SGD
    for (int step = cfg.steps(); step >= 1; step--) {
      if (checkpointed(step, cfg.steps(), dpSgd)) {
        firstCheckpoint = step;
      }
    }
    int first = firstCheckpoint;
    guard.onInterrupt(
        () -> {
          if (!checkpoints) {
            return "interrupted: this run keeps no checkpoint (--checkpoint-every 0), so nothing"
                + " of it is saved in "
                + dir
                + "; "
                + startsAgain(dir);
          }
          if (savedStep == 0 && first == 0) {
            return "interrupted: --checkpoint-every "
                + checkpointEvery
                + " saves no checkpoint before the last of "
                + cfg.steps()
                + " steps, so nothing of this run is saved in "
                + dir
                + "; "
                + startsAgain(dir);
          }
          return savedStep == 0
              ? "interrupted before the first checkpoint (step " + first + "); " + startsAgain(dir)
              : "interrupted: the state after step "
                  + savedStep
                  + " of "
                  + cfg.steps()
                  + " is saved in "
                  + dir.resolve("checkpoint")
                  + "; continue with: "
                  + RunGuard.resumeCommand("train", dir, "");
        });
    long t0 = System.nanoTime();
    FrozenBase frozen = new FrozenBase(pretrained);
    pretrained = null; // the encoder holds the weights now; their Java copy is garbage
    try (FrozenBase base = frozen;
        Adapter a = method == null ? null : adapter.create(base.encoder(), cfg.seed());
        ClassificationHead head =
            new ClassificationHead(
                base.root(),
                base.encoder().config().hiddenSize(),
                HeadLayout.of(splits.taskLabels()),
                cfg.seed() + 1);
        AdamW opt = new AdamW(base.root());
        JsonLines metrics =
            new JsonLines(
                dir.resolve("metrics.jsonl"),
                checkpoint == null ? List.of() : checkpoint.metricLines());
        JsonLines timings =
            new JsonLines(
                dir.resolve("timings.jsonl"),
                checkpoint == null
                    ? List.of()
                    : earlierTimings(dir, checkpointEvaluated ? firstStep : firstStep - 1))) {
      String picked = base.precisionNote();
      if (picked != null) {
        err.println(picked);
      }
      err.printf(
          Locale.ROOT,
          "model: %s (%s); adapter: %s%n",
          base.model().name(),
          // The bare precision: auto's pick and reason are on their own line, printed above.
          base.model().precision().precision().label(),
          method == null
              ? "none (linear head on the frozen encoder)"
              : (method + " " + (a == null ? "" : optionsOf(a))).strip());
      ClassifierModel m = new ClassifierModel(base.encoder(), a, head);
      if (checkpoint != null) {
        try {
          m.loadState(checkpoint.model());
          opt.loadState(checkpoint.optimizer());
        } catch (IllegalArgumentException e) {
          throw new UserInputException(
              dir.resolve(TrainCheckpoint.FILE) + ": does not fit this run: " + e.getMessage(), e);
        }
      }
      LocalTrainer trainer = new LocalTrainer(m);
      EncodedExamples trainSet = base.encode(splits.train(), splits.taskLabels());
      EncodedExamples valSet = base.encode(splits.validation(), splits.taskLabels());
      EncodedExamples testSet = base.encode(splits.test(), splits.taskLabels());
      EncodedExamples documents = splits.retrievalCorpus().map(base::encode).orElse(null);
      String truncated = base.tokenizer().truncationNote("of the data");
      if (truncated != null) {
        err.println(truncated);
      }
      if (checkpoint == null && headInit.equals("documents")) {
        head.loadState(DocumentHeadInit.tensors(m, documents, head.layout(), headScale));
      }
      if (goal.contrastive()) {
        trainer.setContrastive(ContrastiveLoss.of(documents, goal.temperature()));
      }
      // An evaluation on examples, with eval's delayed bar (status: which split, when): silent
      // unless it runs for 5 seconds, as on a large validation or test split. The final test
      // evaluation also ranks the corpus's documents by the head's logits (classifier-as-
      // retriever), from the evaluation's own pass.
      EvaluationRun evaluate =
          (examples, status, ranking) -> {
            if (goal.contrastive()) {
              return EmbeddingRetrieval.evaluate(
                  m,
                  documents,
                  examples,
                  goal.temperature(),
                  LocalTrainer.EVAL_BATCH_SIZE,
                  ProgressBar.evaluation(err, documents.size(), examples.size(), status));
            }
            BatchProgress progress = ProgressBar.evaluation(err, 0, examples.size(), status);
            return ClassifierRetrieval.evaluateHead(
                trainer,
                examples,
                LocalTrainer.EVAL_BATCH_SIZE,
                ranking && documents != null,
                progress);
          };
      // A budget that not even one step fits is bad input: refused before the run counts as
      // started, so that --force puts the old run back and the folder does not hold a dead run.
      if (dpConfig != null && budget != null && firstStep == 0) {
        double q = dpConfig.sampleRate(trainSet.size());
        double z = dpConfig.noiseMultiplier();
        if (!budget.canCharge(q, z, 1)) {
          throw new UserInputException(
              String.format(
                  Locale.ROOT,
                  "--dp-epsilon %s: one DP-SGD step (noise %s, q = %d/%d) already costs epsilon"
                      + " %.4f at delta %s, so nothing would be trained; raise --dp-epsilon or"
                      + " --dp-noise, or lower --batch-size",
                  dpEpsilon,
                  z,
                  cfg.batchSize(),
                  trainSet.size(),
                  new RdpAccountant().step(q, z, 1).getEpsilon(dpDelta),
                  dpDelta));
        }
      }
      guard.started();
      // One full collection before training, as a simulation does (Simulation.run): the model's
      // Java copy of the weights and the loading's intermediates are garbage in the old
      // generation, which the launcher's heap settings then give back at once.
      System.gc();
      ProgressBar bar = new ProgressBar(err, "train", cfg.steps());
      bar.start(firstStep, "");
      // Running sums of the logging window: loss, accuracy, steps.
      double[] window = checkpoint == null ? new double[3] : checkpoint.window().clone();
      PrivacyBudget accounted = budget;
      boolean curveOnTest = evalSplit.equals("test");
      EncodedExamples curveSet = curveOnTest ? testSet : valSet;
      if (curveSet.size() == 0) {
        err.printf(
            "note: the validation split is empty, so there is no evaluation during training"
                + " (--eval-split test evaluates on the test split)%n");
      }
      // Training time of this process: wall time since training began, less the periodic
      // evaluations and the checkpoints (nanoseconds).
      long trainStart = System.nanoTime();
      long[] notTraining = {0};
      double trainedBefore = lastTrainSeconds(timings.lines());
      // The step of the last evaluation on curveSet, so that a run stopped by its privacy budget
      // evaluates its last step once, as a run that took all its steps does.
      int[] evaluatedAt = {checkpointEvaluated ? firstStep : -1};
      java.util.function.IntConsumer evaluateCurve =
          step -> {
            if (curveSet.size() > 0 && evaluatedAt[0] != step) {
              evaluatedAt[0] = step;
              long e0 = System.nanoTime();
              double trained = (e0 - trainStart - notTraining[0]) / 1e9;
              Evaluation ev =
                  evaluate.run(
                      curveSet, (curveOnTest ? "test" : "validation") + " at step " + step, false);
              Map<String, Object> rec = new LinkedHashMap<>();
              rec.put("event", curveOnTest ? "test_during_training" : "validation");
              rec.put("step", step);
              rec.put("loss", ev.loss());
              rec.put("accuracy", ev.accuracy());
              rec.put("examples", ev.examples());
              metrics.write(rec);
              // Wall times stay out of metrics.jsonl, which a resumed run reproduces exactly.
              Map<String, Object> time = new LinkedHashMap<>();
              time.put("step", step);
              time.put("train_seconds", trainedBefore + trained);
              timings.write(time);
              notTraining[0] += System.nanoTime() - e0;
              PausePoint.reach("train-step-" + step + "-after-evaluation");
            }
          };
      java.util.function.IntConsumer saveCheckpoint =
          step -> {
            long c0 = System.nanoTime();
            PausePoint.reach("train-step-" + step + "-before-checkpoint");
            try {
              new TrainCheckpoint(
                      step,
                      m.state(),
                      opt.state(),
                      metrics.lines(),
                      window.clone(),
                      accounted == null ? null : accounted.accountant().toJson(),
                      JsonOut.line(runRecord))
                  .save(dir);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            savedStep = step;
            notTraining[0] += System.nanoTime() - c0;
          };
      java.util.function.BiConsumer<Integer, Integer> afterStep =
          (step, total) -> {
            // The checkpoint, then the periodic evaluation (both training paths).
            if (checkpointed(step, total, dpSgd)) {
              saveCheckpoint.accept(step);
            }
            if (evaluated(step, total)) {
              evaluateCurve.accept(step);
            }
          };
      TrainListener listener =
          (step, total, loss, acc, lr) -> {
            window[0] += loss;
            window[1] += acc;
            window[2]++;
            bar.update(
                step,
                String.format(
                    Locale.ROOT,
                    "loss %.4f acc %.3f lr %.2e",
                    window[0] / window[2],
                    window[1] / window[2],
                    lr));
            if (step % 10 == 0 || step == total) {
              Map<String, Object> rec = new LinkedHashMap<>();
              rec.put("event", "train");
              rec.put("step", step);
              rec.put("loss", window[0] / window[2]);
              rec.put("accuracy", window[1] / window[2]);
              rec.put("lr", lr);
              metrics.write(rec);
              window[0] = 0;
              window[1] = 0;
              window[2] = 0;
            }
            afterStep.accept(step, total);
          };
      if (checkpoint != null && evaluated(firstStep, cfg.steps())) {
        // Checkpointed before its evaluation was written: the same model, evaluated again.
        evaluateCurve.accept(firstStep);
      }
      int stepsTaken = cfg.steps();
      String stoppedEarly = null;
      if (dpConfig == null) {
        trainer.train(trainSet, cfg, opt, listener, firstStep);
      } else {
        DpSgd dp = new DpSgd(m, dpConfig, GaussianNoise.secure());
        PrivacyBudget spent = budget;
        stepsTaken =
            dp.train(
                trainSet,
                cfg,
                opt,
                budget,
                (step, total, loss, acc, lr) -> {
                  bar.update(
                      step,
                      dpConfig.noiseMultiplier() > 0
                          ? String.format(
                              Locale.ROOT,
                              "DP-SGD epsilon %.3f lr %.2e",
                              spent.accountant().getEpsilon(spent.delta()),
                              lr)
                          : String.format(Locale.ROOT, "DP-SGD without noise lr %.2e", lr));
                  afterStep.accept(step, total);
                },
                firstStep);
        if (stepsTaken < cfg.steps()) {
          // Stopped by the budget: the run ends as one of stepsTaken steps would, its bar closed
          // with the reason, and its last step evaluated (unless --eval-every just did).
          PrivacySpent next =
              budget
                  .accountant()
                  .privacySpentIfStep(
                      dpConfig.sampleRate(trainSet.size()),
                      dpConfig.noiseMultiplier(),
                      1,
                      budget.delta());
          stoppedEarly =
              String.format(
                  Locale.ROOT,
                  "privacy budget spent after step %d of %d: step %d would bring epsilon to %s"
                      + " at delta %s, above --dp-epsilon %s",
                  stepsTaken,
                  cfg.steps(),
                  stepsTaken + 1,
                  PrivacySpent.epsilonBeside(next.epsilon(), dpEpsilon),
                  budget.delta(),
                  dpEpsilon);
          bar.stop(stepsTaken, "stopped: privacy budget spent");
          err.printf(
              Locale.ROOT,
              "stopped after %d of %d %s: the privacy budget (epsilon %s) is spent (step %d"
                  + " would bring epsilon to %s)%n",
              stepsTaken,
              cfg.steps(),
              Main.plural(cfg.steps(), "step"),
              dpEpsilon,
              stepsTaken + 1,
              PrivacySpent.epsilonBeside(next.epsilon(), dpEpsilon));
          if (checkpoints && savedStep != stepsTaken) {
            saveCheckpoint.accept(stepsTaken);
          }
          evaluateCurve.accept(stepsTaken);
        }
      }
      Evaluation test = evaluate.run(testSet, "test", true);
      if (!Double.isFinite(test.loss())) {
        throw new IllegalStateException(
            "the test loss is " + test.loss() + " after training; no adapter was written");
      }
      Map<String, Object> rec = new LinkedHashMap<>();
      rec.put("event", "test");
      rec.put("step", stepsTaken);
      rec.put("loss", test.loss());
      rec.put("accuracy", test.accuracy());
      rec.put("examples", test.examples());
      rec.putAll(test.extra()); // per-task accuracy and loss of a multi-task run
      metrics.write(rec);

      JsonObject extra = new JsonObject();
      // With its parameters, so that eval and retrieve load the task it was trained on.
      extra.addProperty("task", Tasks.recordedSpec(splits, data.task));
      extra.addProperty("seed", cfg.seed());
      extra.addProperty("max_eval", data.maxEval);
      String fullyUsed = AdapterFiles.fullyUsedFileHash(data.data, data.test != null);
      if (fullyUsed != null) {
        extra.addProperty(AdapterFiles.FULLY_USED_FILE_SHA256, fullyUsed);
      }
      AdapterFiles.recordRetrievalCorpus(extra, splits);
      if (goal.contrastive()) {
        // The head was never trained: retrieval with this adapter is by MIPS.
        extra.addProperty("objective", goal.id());
        extra.addProperty("temperature", goal.temperature());
      }
      Path adapterDir = dir.resolve("adapter");
      AdapterFiles.save(
          adapterDir,
          a,
          cfg.seed(),
          Adapter.Tensors.toHost(head.tensors()),
          splits.labels(),
          splits.taskLabels(),
          base.model(),
          extra,
          folder -> {});
      double seconds = (System.nanoTime() - t0) / 1e9;
      JsonObject summary = new JsonObject();
      summary.addProperty("command", "train");
      summary.addProperty("model", base.model().name());
      // The bare resolved precision, fp32 or bf16, whether the run was resumed or not (a resume
      // of an auto run computes in what train.json recorded; auto's reason is on stderr only).
      summary.addProperty("precision", base.model().precision().precision().label());
      summary.addProperty("adapter", method == null ? "none" : method);
      summary.addProperty("adapter_options", method == null ? "" : adapter.options);
      summary.addProperty("data", data.describe());
      summary.addProperty("task", Tasks.recordedSpec(splits, data.task));
      summary.addProperty("labels", splits.labels().size());
      summary.addProperty("train_examples", splits.train().size());
      summary.addProperty("test_examples", test.examples());
      summary.addProperty("head_init", headInit);
      summary.addProperty("steps", cfg.steps());
      summary.addProperty("batch_size", cfg.batchSize());
      summary.addProperty("learning_rate", cfg.learningRate());
      if (cfg.headLearningRate() != cfg.learningRate()) {
        summary.addProperty("head_learning_rate", cfg.headLearningRate());
      }
      summary.addProperty("seed", cfg.seed());
      summary.addProperty("objective", goal.id());
      if (goal.contrastive()) {
        summary.addProperty("temperature", goal.temperature());
      }
      summary.addProperty("trainable_parameters", m.trainableParameters(goal.contrastive()));
      summary.addProperty("steps_taken", stepsTaken);
      if (stoppedEarly != null) {
        // As simulate's summary.json: why the run ended before its last step.
        summary.addProperty("stopped_early", stoppedEarly);
      }
      if (firstStep > 0) {
        summary.addProperty("resumed_after_step", firstStep);
      }
      if (budget != null) {
        // Without noise epsilon is infinite, which JSON cannot hold: summary.json says so in
        // words, and "private": false, as simulate's does; no epsilon, and no delta (the delta
        // of an epsilon that does not exist means nothing), as in simulate's.
        boolean noisy = dpConfig.noiseMultiplier() > 0;
        summary.addProperty("dp", "sample-level DP-SGD, Poisson sampling");
        if (noisy) {
          summary.addProperty("epsilon", budget.accountant().getEpsilon(budget.delta()));
          summary.addProperty("delta", budget.delta());
        }
        summary.addProperty("dp_noise_multiplier", dpConfig.noiseMultiplier());
        summary.addProperty("dp_clip_norm", dpConfig.clipNorm());
        summary.addProperty("private", noisy);
        if (!noisy) {
          summary.addProperty("epsilon_note", NO_NOISE);
        }
        stdout.printf(
            Locale.ROOT,
            "privacy: %s (DP-SGD, Poisson sampling, q = %d/%d)%n",
            noisy
                ? String.format(
                    Locale.ROOT,
                    "epsilon %.4f at delta %s",
                    budget.accountant().getEpsilon(budget.delta()),
                    budget.delta())
                : "NOT private: " + NO_NOISE,
            cfg.batchSize(),
            splits.train().size());
      }
      summary.addProperty("test_accuracy", test.accuracy());
      summary.addProperty("test_loss", test.loss());
      if (!test.extra().isEmpty()) {
        JsonObject more = new JsonObject();
        test.extra().forEach(more::addProperty);
        summary.add("test_metrics", more);
      }
      summary.addProperty("seconds", seconds);
      summary.addProperty("adapter_dir", adapterDir.toString());
      AtomicFiles.writeString(dir.resolve("summary.json"), JsonOut.line(summary) + "\n");
      stdout.printf(
          Locale.ROOT,
          "test accuracy: %.4f (loss %.4f, %d %s) after %s in %.0f s%n",
          test.accuracy(),
          test.loss(),
          test.examples(),
          Main.plural(test.examples(), "example"),
          stoppedEarly == null
              ? stepsTaken + " " + Main.plural(stepsTaken, "step")
              : stepsTaken
                  + " of "
                  + cfg.steps()
                  + " "
                  + Main.plural(cfg.steps(), "step")
                  + " (stopped early: the privacy budget is spent)",
          seconds);
      if (documents != null) {
        stdout.println(
            SimulateCommand.retrievalLine(goal.contrastive(), test.accuracy(), test.extra()::get));
      }
      stdout.printf("adapter: %s%nsummary: %s%n", adapterDir, dir.resolve("summary.json"));
    }
    return 0;
  }

  /**
   * A new run records the hashes of its training and test splits in train.json; a resumed run
   * checks them, refusing data that changed (naming the data and both hashes).
   */
  private void recordOrVerifyData(Path dir, TaskSplits splits, boolean resuming)
      throws IOException {
    Path file = dir.resolve(RUN_FILE);
    JsonObject run = runRecord; // call() sets it before either of its runIn calls
    String trainHash = splits.train().sha256();
    String testHash = splits.test().sha256();
    if (resuming) {
      // stored() checked that "data" is an object and that its hashes are strings.
      JsonObject d = run.has("data") ? run.getAsJsonObject("data") : new JsonObject();
      for (String[] k :
          new String[][] {
            {"train_sha256", trainHash, "training"}, {"test_sha256", testHash, "test"}
          }) {
        if (d.has(k[0]) && !d.get(k[0]).getAsString().equals(k[1])) {
          throw new UserInputException(
              data.describe()
                  + ": the "
                  + k[2]
                  + " split's sha256 is now "
                  + k[1]
                  + ", but "
                  + file
                  + " recorded "
                  + d.get(k[0]).getAsString()
                  + " when the run started; a resume must see the same data");
        }
      }
      return;
    }
    JsonObject d = new JsonObject();
    d.addProperty("source", data.describe());
    d.addProperty("train_sha256", trainHash);
    d.addProperty("test_sha256", testHash);
    run.add("data", d);
    AtomicFiles.writeString(file, JsonOut.line(run) + "\n");
  }

  /** An evaluation of the model being trained, drawing its progress on a bar. */
  @FunctionalInterface
  private interface EvaluationRun {
    /**
     * @param status what the bar says is evaluated
     * @param ranking whether to add the ranking metrics of a corpus's documents, if the run has one
     */
    Evaluation run(EncodedExamples examples, String status, boolean ranking);
  }

  private static String optionsOf(Adapter a) {
    return a instanceof org.fedpeft.peft.lora.LoraAdapter l
        ? l.config().toOptions().toString()
        : "";
  }

  /**
   * The lines of DIR/timings.jsonl (left by the interrupted run) up to step {@code step}, for a
   * resumed run to keep; none if the file is missing or unreadable, which includes a line that is
   * not UTF-8 or not strict JSON ({@link JsonFiles#readLines}, {@link JsonFiles#parseLine}: a line
   * cut by the kill, or a hand-edited one): wall times are not worth refusing a resume for.
   */
  private static List<String> earlierTimings(Path dir, int step) {
    List<String> kept = new ArrayList<>();
    Path file = dir.resolve("timings.jsonl");
    try {
      List<String> lines = JsonFiles.readLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        JsonObject o = JsonFiles.parseLine(file, i + 1, line);
        if (o.get("step").getAsInt() <= step) {
          kept.add(line);
        }
      }
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
    return kept;
  }

  /**
   * Whether {@code lines} (a checkpoint's metrics lines) hold the periodic evaluation of {@code
   * step}: a "validation" or "test_during_training" line of that step.
   */
  private static boolean holdsEvaluation(List<String> lines, int step) {
    for (String line : lines) {
      // Lenient: the checkpoint's own lines, under its checksum (NaN in a run before 2 December).
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      String event = o.get("event").getAsString();
      if ((event.equals("validation") || event.equals("test_during_training"))
          && o.get("step").getAsInt() == step) {
        return true;
      }
    }
    return false;
  }

  /** The train_seconds of the last timings line, 0 for none. */
  private static double lastTrainSeconds(List<String> lines) {
    if (lines.isEmpty()) {
      return 0;
    }
    return JsonFiles.parse(lines.get(lines.size() - 1))
        .getAsJsonObject()
        .get("train_seconds")
        .getAsDouble();
  }
}
