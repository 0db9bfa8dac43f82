package org.fedpeft.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.fedpeft.config.ConfigException;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.federation.ServerOptimizer;
import org.fedpeft.io.JsonOut;
import org.fedpeft.io.RunFolder;
import org.fedpeft.retrieval.RetrievalMetrics;
import org.fedpeft.run.PausePoint;
import org.fedpeft.run.RunRecorder;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.run.StrategyFactory;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.train.LocalTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedpeft simulate}: a federation of many clients in this process. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a federated fine-tuning of N simulated clients in this process: K sampled per round"
          + " train the adapter on their own data partition, the server aggregates.",
      "CONFIG is a TOML file (see examples/ and docs/config.md; --list-keys prints every key);"
          + " --set KEY=VALUE overrides a key. Writes metrics.jsonl, summary.json, report.html,"
          + " manifest.json, the final adapter and a checkpoint after every round to --out;"
          + " --resume DIR continues an interrupted run (a finished one is refused; one"
          + " interrupted after summary.json gets its report.html)."
    })
public final class SimulateCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "CONFIG",
      description = "The run's TOML config (omit for all defaults).")
  Path configFile;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "Override a config key, e.g. --set rounds=5 --set client.local_steps=10."
              + " Lists are comma-separated or a TOML array, e.g. --set"
              + " 'adapter.targets=[\"query\", \"value\"]'.")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(
      names = {"-o", "--out"},
      paramLabel = "DIR",
      description =
          "Output folder, new or empty (default: a new runs/simulate-<date-time>-p<pid>). A"
              + " folder another process is writing is refused; one holding a run needs --force.")
  Path out;

  @Option(
      names = "--resume",
      paramLabel = "DIR",
      description =
          "Continue the interrupted run in DIR from its last complete round, with the config"
              + " and data it started with (DIR/config.json must match the config in"
              + " DIR/manifest.json; a run killed while starting, before it wrote manifest.json,"
              + " starts again from config.json; a DIR/metrics.jsonl deleted or changed in the"
              + " lines the checkpoint counts is refused, as the checkpoint keeps no copy of them);"
              + " a finished run (DIR/summary.json written) is refused:"
              + " nothing to resume (also one its privacy budget stopped early: the refusal"
              + " gives summary.json's stopped_early); a run interrupted after summary.json and"
              + " before report.html gets its report.html.")
  Path resume;

  @Option(
      names = "--force",
      description =
          "Replace the --out folder (needs --out) if it holds a run (of simulate or another command): the old"
              + " folder is set aside, and removed whole once the new run has started (its"
              + " input accepted); a run refused on its input puts it back. Without it such a folder"
              + " is refused.")
  boolean force;

  @Option(
      names = "--list-keys",
      description =
          "Print every config key with its default, the aggregation strategies and the adapter"
              + " methods' options (docs/config.md's tables), and exit.")
  boolean listKeys;

  /** "1 round" or "N rounds". */
  static String roundCount(int n) {
    return n + " " + Main.plural(n, "round");
  }

  /**
   * A failed round as a user error, saying what is saved: with no round completed, a resume starts
   * the run again from round 1; otherwise the checkpoint of the last completed round is intact and
   * a resume continues after it ({@code command} is simulate or server). A round whose every
   * failure is a client's diverged training ({@link LocalTrainer#DIVERGED}) says instead that a
   * resume would diverge again, and to start a new run with a lower learning rate.
   */
  static UserInputException roundFailed(String command, RoundFailedException e, Simulation sim) {
    int saved = sim.completedRounds();
    String resume = RunGuard.resumeCommand(command, sim.out(), "");
    boolean diverged =
        !e.failures().isEmpty()
            && e.failures().stream().allMatch(f -> f.reason().contains(LocalTrainer.DIVERGED));
    if (diverged) {
      // A resume replays the same seeded round with the same settings: it would diverge again.
      return new UserInputException(
          e.getMessage()
              + "; every client's training diverged (a NaN or infinite loss), which a resume with"
              + " the same settings repeats: start a new run with a lower client.learning_rate"
              + " (for example --set client.learning_rate=...)",
          e);
    }
    return new UserInputException(
        e.getMessage()
            + (saved == 0
                ? "; no round is saved yet: " + resume + " starts the run again from round 1"
                : "; the checkpoint after round "
                    + saved
                    + " is intact: "
                    + resume
                    + " continues from there"),
        e);
  }

  /**
   * The resume of a run killed after it wrote summary.json and before report.html, its last file
   * (made from summary.json and the run's other files, which are then complete): writes
   * report.html, says so on standard error, and prints the run's result with {@code result}, as the
   * run itself would have after writing its report; returns {@code result}'s exit code, or null for
   * a run that is not finished or has its report. A report.html that is not a regular file (a
   * folder) is refused, naming it, before anything is read or written. Its config.json is first
   * read as a resume reads it ({@link Simulation#finishedConfig}), refused in the same words;
   * metrics.jsonl checked against the run's checkpoint as a resume checks it ({@link
   * Simulation#checkFinishedMetrics}), refused in the same words; the lines of metrics.jsonl after
   * the checkpoint's and timings.jsonl read by {@link RunRecorder#linesToKeep} ({@link
   * ReportWriter}: every line but a last one cut by a kill, which a resume drops too; a complete
   * line after the checkpoint's is charted, where a resume of an unfinished run keeps only its
   * {@code round_failed} and pending round's lines). For {@code simulate} ({@link #printResult})
   * and {@code server}, which write report.html after summary.json.
   */
  static Integer writeMissingReport(RunGuard guard, ResultPrinter result, PrintWriter err)
      throws IOException {
    Path dir = guard.path();
    Path file = dir.resolve(ReportWriter.FILE);
    if (!guard.finished() || Files.isRegularFile(file)) {
      return null;
    }
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      // A folder (or another non-file) where the report goes: the run has no report, and writing
      // one there fails; the user is to move it away.
      throw new UserInputException(
          file
              + " is "
              + (Files.isDirectory(file) ? "a folder" : "not a regular file")
              + ", not the report of the finished run in "
              + dir
              + ": move it away (or delete it) and run this again, which writes the report");
    }
    // config.json read as a resume reads it, so that one a resume refuses (a key holding an
    // object, a number given as text, ...) is refused in the same words, naming the file and key.
    boolean contrastive = contrastive(dir);
    // metrics.jsonl checked as a resume checks it: a line its checkpoint counts, cut or changed,
    // refused in the same words.
    Simulation.checkFinishedMetrics(dir);
    JsonObject summary = org.fedpeft.io.JsonFiles.readObject(dir.resolve("summary.json"));
    Path report = ReportWriter.write(dir);
    err.printf(
        "%s: the run finished but was interrupted before writing %s; wrote it%n",
        dir, ReportWriter.FILE);
    return result.print(summary, contrastive, report);
  }

  /**
   * What marks the progress of round {@code round} of a run resumed after round {@code
   * resumedAfter} (0 for a new run) as a round of the checkpoint, trained before the resume: a
   * round checkpointed before its release (its evaluation and metrics line; {@code
   * Simulation.release}) is released again by the resumed run, which writes its line again in place
   * of the one the killed process may have written, and prints it again. {@code " (from the
   * checkpoint)"} for such a round, else "". The same words in {@code simulate}'s bar and {@code
   * server}'s round line.
   */
  static String fromCheckpoint(int round, int resumedAfter) {
    return round <= resumedAfter ? " " + FROM_CHECKPOINT : "";
  }

  /** The words of {@link #fromCheckpoint}. */
  static final String FROM_CHECKPOINT = "(from the checkpoint)";

  /**
   * The run's strategy as the start lines of {@code simulate} and {@code server} name it: {@code
   * server.strategy}, and its server optimiser when that is not plain FedAvg at learning rate 1
   * ({@link ServerOptimizer#isIdentity}), with its learning rate and settings ({@link
   * ServerOptimizer#describe}): {@code fedit with server optimiser fedadam(lr=0.01, beta1=0.9,
   * beta2=0.99, tau=0.001)}.
   */
  static String strategyWords(SimulationConfig c) {
    ServerOptimizer opt = StrategyFactory.serverOptimizer(c);
    return opt.isIdentity()
        ? c.strategy()
        : c.strategy() + " with server optimiser " + opt.describe();
  }

  /** How a command prints a finished run's result once its report is written. */
  @FunctionalInterface
  interface ResultPrinter {
    /**
     * Prints the result of the run whose summary.json is {@code summary} and report {@code report},
     * which trained contrastively or not ({@code contrastive}, from its config.json); returns the
     * command's exit code.
     */
    int print(JsonObject summary, boolean contrastive, Path report) throws IOException;
  }

  /**
   * Whether the finished simulation in {@code dir} trained contrastively, from its config.json's
   * {@code client.objective} (the run's resolved config), read as a resume reads it ({@link
   * Simulation#finishedConfig}): a config.json a resume refuses (a key holding an object, a value
   * changed since the run started, ...) is refused in the same words, naming the file and the key.
   *
   * @throws IllegalArgumentException as {@link Simulation#finishedConfig} does
   */
  static boolean contrastive(Path dir) throws IOException {
    return Simulation.finishedConfig(dir).objective().contrastive();
  }

  /** Whether a run's config.json ({@code config}, may be null) says it trained contrastively. */
  static boolean contrastive(JsonObject config) {
    JsonElement objective = config == null ? null : config.get("client.objective");
    return objective != null && "contrastive".equals(objective.getAsString());
  }

  /**
   * How a retrieval run's ranking metrics were scored, as the result lines of simulate, train and
   * eval and the report name it: by MIPS with the adapter (the contrastive objective) or by the
   * classification head (classifier-as-retriever).
   */
  static String retrievalScorer(boolean contrastive) {
    return contrastive ? "MIPS with the adapter" : "classifier-as-retriever";
  }

  /**
   * The line of a retrieval evaluation's ranking metrics, as {@code simulate}, {@code train} and
   * {@code eval} print it: {@code retrieval (classifier-as-retriever): top-1 0.5000, recall@5
   * 0.8000, recall@10 0.9000, MRR 0.6500}.
   *
   * @param contrastive whether the model was trained with the contrastive objective (evaluated by
   *     MIPS, {@link #retrievalScorer})
   * @param top1 the share of queries whose best-ranked document is the right one (the accuracy)
   * @param metrics the evaluation's {@link RetrievalMetrics#RECALL_AT_5}, {@link
   *     RetrievalMetrics#RECALL_AT_10} and {@link RetrievalMetrics#MRR}
   */
  static String retrievalLine(boolean contrastive, double top1, Function<String, Double> metrics) {
    return String.format(
        Locale.ROOT,
        "retrieval (%s): top-1 %.4f, recall@5 %.4f, recall@10 %.4f, MRR %.4f",
        retrievalScorer(contrastive),
        top1,
        metrics.apply(RetrievalMetrics.RECALL_AT_5),
        metrics.apply(RetrievalMetrics.RECALL_AT_10),
        metrics.apply(RetrievalMetrics.MRR));
  }

  /**
   * Prints what {@code command} ({@code simulate} or {@code server}, which end alike) says at the
   * end of a finished run, from its summary.json: the final line (with the number of test
   * examples), the method's lines, the privacy and communication lines, the report and the adapter;
   * returns the exit code: 2 for a run in which no round completed (a privacy budget that cannot
   * pay for one, said on standard error), else 0.
   */
  static int printResult(
      String command,
      JsonObject summary,
      boolean contrastive,
      Path report,
      PrintWriter stdout,
      PrintWriter err) {
    stdout.println(finalLine(summary));
    for (String line : methodLines(summary, contrastive)) {
      stdout.println(line);
    }
    if (summary.has("epsilon_note")) {
      // A noise multiplier of 0: no epsilon (nor delta) exists, as train --dp-noise 0 says.
      stdout.printf(
          Locale.ROOT, "privacy: NOT private: %s%n", summary.get("epsilon_note").getAsString());
    } else if (summary.has("epsilon")) {
      stdout.printf(
          Locale.ROOT,
          "privacy: %sepsilon %.4f%s at delta %s (%s)%s%n",
          summary.has("epsilon_per_client") ? "largest client " : "",
          summary.get("epsilon").getAsDouble(),
          summary.has("epsilon_mean")
              ? String.format(
                  Locale.ROOT,
                  " (mean over clients %.4f)",
                  summary.get("epsilon_mean").getAsDouble())
              : "",
          summary.get("delta").getAsString(),
          summary.get("epsilon_sampling").getAsString(),
          summary.get("private").getAsBoolean()
              ? ""
              : "; NOT private: seeded noise or a noise multiplier of 0");
    }
    stdout.printf(
        Locale.ROOT,
        "communication: %,d bytes up, %,d bytes down%n",
        summary.get("bytes_up_total").getAsLong(),
        summary.get("bytes_down_total").getAsLong());
    stdout.printf("report: %s%nadapter: %s%n", report, summary.get("adapter_dir").getAsString());
    if (summary.get("rounds").getAsInt() == 0 && summary.has("stopped_early")) {
      // Nothing was trained: the budget cannot pay for one round, a bad input (exit 2);
      // --resume of this folder is refused as a finished run (exit 2 too).
      err.printf(
          "%s: no round completed (%s). The adapter in %s is the untrained initial model;"
              + " summary.json and report.html say so. Raise privacy.epsilon or the noise"
              + " multiplier.%n",
          command,
          summary.get("stopped_early").getAsString(),
          summary.get("adapter_dir").getAsString());
      return 2;
    }
    return 0;
  }

  /**
   * The line that gives a finished run's result: the global model's accuracy on the test split, or
   * for a run without one, the clients' mean accuracy on their held-out data (federated
   * evaluation); "after K of N rounds (stopped early: ...)" for a run a privacy budget stopped
   * (summary.json's stopped_early, which only a budget sets).
   */
  static String finalLine(JsonObject summary) {
    int done = summary.get("rounds").getAsInt();
    String rounds =
        summary.has("stopped_early") && summary.has("rounds_configured")
            ? done
                + " of "
                + roundCount(summary.get("rounds_configured").getAsInt())
                + " (stopped early: the privacy budget is spent)"
            : roundCount(done);
    if (summary.has("final_accuracy")) {
      // With P and TTP after it (methodLines), say whose accuracy this is: the global model's,
      // which a method's mixing of global and local parts (FedDPA's) does not change.
      String accuracy =
          summary.has("personalization")
              ? "final accuracy of the global model (no client's local tensors)"
              : "final accuracy";
      return String.format(
          Locale.ROOT,
          "%s: %.4f (loss %.4f, %d test %s) after %s",
          accuracy,
          summary.get("final_accuracy").getAsDouble(),
          summary.get("final_loss").getAsDouble(),
          summary.get("test_examples").getAsInt(),
          Main.plural(summary.get("test_examples").getAsInt(), "example"),
          rounds);
    }
    JsonElement mean = summary.get("final_client_accuracy_mean");
    if (mean == null || !mean.isJsonPrimitive() || Double.isNaN(mean.getAsDouble())) {
      return String.format(
          Locale.ROOT,
          "final accuracy: none (no test split, and no client's held-out data was evaluated in any"
              + " round) after %s",
          rounds);
    }
    return String.format(
        Locale.ROOT,
        "final accuracy (federated evaluation, no test split: the clients' held-out data): mean"
            + " %.4f (loss %.4f, %d held-out %s, round %d) after %s",
        summary.get("final_client_accuracy_mean").getAsDouble(),
        summary.get("final_client_loss_mean").getAsDouble(),
        summary.get("eval_examples").getAsLong(),
        Main.plural(summary.get("eval_examples").getAsLong(), "example"),
        summary.get("final_eval_round").getAsInt(),
        rounds);
  }

  /**
   * The result lines that follow {@link #finalLine} for the runs that have more to report than one
   * accuracy, as {@code train} and {@code eval} print them: a retrieval run's ranking metrics
   * (summary.json's {@code final_metrics}), and a multi-task run's P and TTP (mean over the
   * evaluated clients, each client's in summary.json) with the folder of the clients' own models.
   *
   * @param contrastive whether the run trained with the contrastive objective (evaluated by MIPS)
   */
  static List<String> methodLines(JsonObject summary, boolean contrastive) {
    List<String> lines = new java.util.ArrayList<>();
    JsonObject fm =
        summary.has("final_metrics") && summary.get("final_metrics").isJsonObject()
            ? summary.getAsJsonObject("final_metrics")
            : new JsonObject();
    if (fm.has("accuracy")
        && fm.has(RetrievalMetrics.RECALL_AT_5)
        && fm.has(RetrievalMetrics.RECALL_AT_10)
        && fm.has(RetrievalMetrics.MRR)) {
      lines.add(
          retrievalLine(
              contrastive, fm.get("accuracy").getAsDouble(), k -> fm.get(k).getAsDouble()));
    }
    if (summary.has("personalization") && summary.has("test_time_personalization")) {
      int clients =
          summary.has("personalization_per_client")
              ? summary.getAsJsonObject("personalization_per_client").size()
              : 0;
      lines.add(
          String.format(
              Locale.ROOT,
              "personalization: P %.4f (each client's model on its own task), TTP %.4f (on every"
                  + " task), mean over %d %s; each client's in summary.json",
              summary.get("personalization").getAsDouble(),
              summary.get("test_time_personalization").getAsDouble(),
              clients,
              Main.plural(clients, "client")));
    }
    if (summary.has("client_adapters_dir")) {
      lines.add(
          "client models (global tensors plus each client's LOCAL ones): "
              + summary.get("client_adapters_dir").getAsString()
              + File.separator
              + "<client>"
              + File.separator
              + "adapter");
    }
    return lines;
  }

  /**
   * The console line for a round in which client updates failed (its metrics line's {@code
   * failures}, but for clients that declined as their privacy budget was spent, which the line
   * counts as {@code clients_declined}: {@link RunRecorder#isFailedUpdate}), or null if none did:
   * how many of the sampled clients failed, one client's reason (such as "training diverged: loss
   * is NaN"), and where every failure is recorded. The round went on without those updates (with
   * the other clients'; under client-level DP with Poisson sampling, when every sampled client
   * failed, with the noise alone: {@link RunRecorder#isNoiseOnlyRound}, which {@link
   * #noiseOnlyLine} says too).
   */
  static String fitFailureLine(int round, Map<String, Object> line) {
    if (!(line.get("failures") instanceof List<?> all)) {
      return null;
    }
    List<Map<?, ?>> failures = new ArrayList<>();
    for (Object f : all) {
      if (f instanceof Map<?, ?> m
          && RunRecorder.isFailedUpdate(m.get("kind") == null ? null : m.get("kind").toString())) {
        failures.add(m);
      }
    }
    if (failures.isEmpty()) {
      return null;
    }
    int sampled = line.get("sampled") instanceof List<?> l ? l.size() : failures.size();
    Map<?, ?> first = failures.get(0);
    return String.format(
        Locale.ROOT,
        "round %d: %d of %d sampled %s failed (%s: %s); the round went on %s; every"
            + " failure: failures in metrics.jsonl",
        round,
        failures.size(),
        sampled,
        Main.plural(sampled, "client"),
        first.get("client"),
        first.get("reason"),
        RunRecorder.isNoiseOnlyRound(JsonOut.tree(line).getAsJsonObject())
            ? "with the noise alone"
            : failures.size() == 1 ? "without its update" : "without their updates");
  }

  /**
   * The console line for a round skipped ({@link Simulation.Listener#onSkip}), as {@code simulate}
   * and {@code server} print it.
   */
  static String skipLine(int round, String reason) {
    return "round " + round + " skipped: " + reason;
  }

  /**
   * The console line for a round that released no client's update ({@link
   * Simulation.Listener#onNoiseOnly}), as {@code simulate} and {@code server} print it.
   */
  static String noiseOnlyLine(int round, String reason) {
    return "round "
        + round
        + ": "
        + reason
        + "; released the noise alone and charged, as every round under privacy.mode ="
        + " \"client\" with client_sampling = \"poisson\"";
  }

  /**
   * The console line for a round whose client evaluations failed (its metrics line's {@code
   * eval_failures}), or null if none did: how many of the evaluated clients failed, one client's
   * reason, and where every failure is recorded.
   */
  static String evalFailureLine(int round, Map<String, Object> line) {
    if (!(line.get("eval_failures") instanceof List<?> failures) || failures.isEmpty()) {
      return null;
    }
    int evaluated =
        failures.size() + (line.get("client_accuracy") instanceof Map<?, ?> m ? m.size() : 0);
    String example =
        failures.get(0) instanceof Map<?, ?> f
            ? " (" + f.get("client") + ": " + f.get("reason") + ")"
            : "";
    return String.format(
        Locale.ROOT,
        "round %d: %d of %d client %s failed%s; every failure: eval_failures in metrics.jsonl",
        round,
        failures.size(),
        evaluated,
        Main.plural(evaluated, "evaluation"),
        example);
  }

  /**
   * Refuses a CONFIG argument that is not a file: a folder is named as one, and a run folder (one
   * holding config.json) gets the command that continues its run, or is said to be finished.
   *
   * @param command the command that would resume a run folder ({@code simulate}, {@code server}),
   *     or null for none
   */
  static void requireConfigFile(Path file, String command) {
    if (file == null || Files.isRegularFile(file)) {
      return;
    }
    if (!Files.isDirectory(file)) {
      throw new UserInputException(file + ": no such config file");
    }
    String folder =
        file
            + " is a folder, not a config file (a TOML file such as"
            + " examples/fedit-noun-topic.toml)";
    if (Files.isRegularFile(file.resolve("config.json"))) {
      String owner = RunFolder.ownerOf(file);
      String runOf = owner == null ? command : owner;
      if (Files.exists(file.resolve("summary.json"))) {
        folder += "; it holds a finished run (summary.json)";
      } else if (runOf != null) {
        folder +=
            "; it holds a run (config.json): to continue it, "
                + RunGuard.resumeCommand(runOf, file, "");
      }
    }
    throw new UserInputException(folder);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (listKeys) {
      stdout.print(SimulationConfig.markdown());
      stdout.flush();
      return 0;
    }
    RunGuard guard;
    SimulationConfig cfg = null;
    try {
      if (resume != null) {
        if (configFile != null || !overrides.isEmpty() || out != null || force) {
          throw new UserInputException(
              "--resume takes only the run folder: its config is the one the run started with");
        }
        guard = RunGuard.resume(resume, "simulate", err);
      } else {
        requireConfigFile(configFile, "simulate");
        cfg = SimulationConfig.load(configFile, overrides);
        if (cfg.data().heldByClients()) {
          throw new UserInputException(
              "simulate needs the clients' examples: data.labels without data.file is the config"
                  + " of a 'fedpeft server' whose clients bring their own files (client --data);"
                  + " to simulate that run, give the union of the clients' files as data.file"
                  + " (with data.partition = \"natural\" and data.split = \"none\", each client"
                  + " trains on its file's examples in file order, as over the network)");
        }
        guard = RunGuard.newRun(out, "simulate", force, err);
      }
    } catch (ConfigException | DataFormatException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    try (guard) {
      return run(guard, cfg, stdout, err);
    }
  }

  private Integer run(RunGuard guard, SimulationConfig cfg, PrintWriter stdout, PrintWriter err)
      throws Exception {
    Path dir = guard.path();
    Simulation sim;
    try {
      if (cfg == null) {
        guard.requireStartWritten();
        Integer code =
            writeMissingReport(
                guard,
                (summary, contrastive, report) ->
                    printResult("simulate", summary, contrastive, report, stdout, err),
                err);
        if (code != null) {
          return code;
        }
        if (guard.finished()) {
          throw new UserInputException(
              guard.finishedRun("run") + "; nothing to resume: a new run needs --out");
        }
        sim = Simulation.resume(dir);
        err.printf("resuming %s after round %d%n", dir, sim.completedRounds());
      } else {
        sim = guard.createSimulation(cfg, "simulate", "");
      }
    } catch (ConfigException | DataFormatException e) {
      throw new UserInputException(e.getMessage(), e);
    } catch (IOException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    guard.started();
    int total = sim.config().rounds();
    // The rounds the checkpoint holds: one of them that the run releases again is marked.
    int resumedAfter = cfg == null ? sim.completedRounds() : 0;
    Simulation held = sim;
    guard.onInterrupt(() -> RunGuard.roundsSaved("simulate", held.savedRounds(), total, dir, ""));
    try (sim) {
      SimulationConfig c = sim.config();
      String picked = sim.precisionNote();
      if (picked != null) {
        err.println(picked);
      }
      err.printf(
          Locale.ROOT,
          "simulate: %s on %s, %d %s (%s), %d per round, %s, model %s (%s), adapter %s %s%n",
          strategyWords(c),
          sim.splits().task(),
          c.clients(),
          Main.plural(c.clients(), "client"),
          c.partition(),
          c.clientsPerRound(),
          roundCount(c.rounds()),
          sim.modelName(),
          sim.precision().label(),
          c.adapterMethod(),
          sim.adapterOptionsInUse());
      String duplicates =
          c.dataFile().isEmpty()
              ? null
              : sim.splits()
                  .duplicateTextWarning(
                      DataOptions.describeFiles(
                          c.dataFile(), c.dataTest().isEmpty() ? null : c.dataTest(), null));
      if (duplicates != null) {
        err.println(duplicates);
      }
      String truncated = sim.truncationNote();
      if (truncated != null) {
        err.println(truncated);
      }
      String noisy = sim.clientDpNoiseWarning();
      if (noisy != null) {
        err.println(noisy);
      }
      ProgressBar bar = new ProgressBar(err, "rounds", c.rounds());
      bar.start(sim.completedRounds(), "");
      sim.setEvaluationProgress(
          (documents, texts) -> ProgressBar.evaluation(err, documents, texts, "test"));
      sim.setClientFitProgress(sampled -> ProgressBar.clients(err, sampled));
      // Saving each client's own model (a method with LOCAL tensors) after the last round: a
      // delayed bar, as it is over in a moment with few clients.
      sim.setClientAdapterProgress(
          clients -> {
            ProgressBar saving = ProgressBar.delayed(err, "client adapters", clients);
            return (done, all) -> saving.update(done, "");
          });
      RoundNotices notices = new RoundNotices();
      JsonObject summary;
      try {
        summary =
            sim.run(
                new Simulation.Listener() {
                  double lastAcc = Double.NaN;

                  @Override
                  public void onStop(String reason) {
                    // The bar ends where the run does, with the reason, as train's does.
                    bar.stop(sim.completedRounds(), "stopped: privacy budget spent");
                    err.println("stopping early: " + reason);
                  }

                  @Override
                  public void onSkip(int round, String reason) {
                    printNotice(notices.skip(round, reason));
                  }

                  @Override
                  public void onNoiseOnly(int round, String reason) {
                    printNotice(notices.noiseOnly(round, reason));
                  }

                  private void printNotice(String notice) {
                    if (notice != null) {
                      err.println();
                      err.println(notice);
                    }
                  }

                  @Override
                  public void onRound(RoundReport r, Map<String, Object> line) {
                    for (String failed :
                        Arrays.asList(
                            fitFailureLine(r.round(), line), evalFailureLine(r.round(), line))) {
                      if (failed != null) {
                        err.println();
                        err.println(failed);
                      }
                    }
                    if (line.get("accuracy") instanceof Double a) {
                      lastAcc = a;
                    } else if (!line.containsKey("accuracy")
                        && line.get("client_accuracy_mean") instanceof Double a) {
                      lastAcc = a; // evaluated on the clients' held-out data only
                    }
                    bar.update(
                        r.round(),
                        String.format(
                                Locale.ROOT,
                                "clients %d/%d loss %s acc %s%s",
                                r.accepted().size(),
                                r.sampled().size(),
                                line.get("train_loss") instanceof Double l
                                    ? String.format(Locale.ROOT, "%.4f", l)
                                    : "-",
                                Double.isNaN(lastAcc)
                                    ? "-"
                                    : String.format(Locale.ROOT, "%.4f", lastAcc),
                                line.get("epsilon") instanceof Double e
                                    ? Double.isFinite(e)
                                        ? String.format(Locale.ROOT, " eps %.3f", e)
                                        : " not private (no noise)"
                                    : "")
                            + fromCheckpoint(r.round(), resumedAfter));
                  }
                });
      } catch (RoundFailedException e) {
        throw roundFailed("simulate", e, sim);
      }
      notices.totals().forEach(err::println);
      PausePoint.reach("simulation-before-report");
      Path report = ReportWriter.write(sim.out());
      return printResult("simulate", summary, c.objective().contrastive(), report, stdout, err);
    }
  }
}
