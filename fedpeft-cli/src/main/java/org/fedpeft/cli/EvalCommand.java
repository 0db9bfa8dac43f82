package org.fedpeft.cli;

import static org.fedpeft.cli.DataOptions.ADAPTER_LABELS;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.LabelCheck;
import org.fedpeft.data.Splits;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.io.Sha256;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.retrieval.ClassifierRetrieval;
import org.fedpeft.retrieval.Corpus;
import org.fedpeft.retrieval.EmbeddingRetrieval;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedpeft eval}: a saved adapter and head on a test split. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluates a saved adapter folder (as written by train or simulate) on the test split of"
          + " a task or of your data: prints accuracy and loss; for a retrieval task or --corpus"
          + " also top-1, recall@5, recall@10 and MRR, and for a multi-task head each task's"
          + " accuracy.",
      ProgressBar.DELAYED_HELP
    })
public final class EvalCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "ADAPTER_DIR",
      description =
          "The adapter folder: as train or simulate write it, or a Hugging Face PEFT LoRA folder"
              + " (adapter_config.json, adapter_model.safetensors; settings fedpeft cannot"
              + " compute, such as use_dora, are refused by name).")
  Path adapterDir;

  @Mixin AdapterModelOption model;

  @Mixin DataOptions data;

  @Option(
      names = "--seed",
      paramLabel = "SEED",
      description =
          "Seed of the data split (default: the training seed the adapter records, else 42). With"
              + " --data and no --test, another seed than the training run's puts training rows in"
              + " the test split; with --test alone nothing is split and it only picks the"
              + " --max-eval subset of the file.")
  Long seed;

  @Option(
      names = "--split",
      paramLabel = "SPLIT",
      defaultValue = "test",
      description = "Which split to evaluate: test or validation (default: ${DEFAULT-VALUE}).")
  String split;

  /**
   * {@code --test FILE} without {@code --data}: that file is the test split, labelled in the
   * adapter's label order (a label the adapter lacks is refused, naming its line and the label) and
   * capped to {@code --max-eval} in the label order the adapter's run capped it in ({@link
   * AdapterFiles#testCapOrder}); with {@code --corpus}, a file of queries of that corpus, whose
   * labels are its document ids.
   */
  private TaskSplits testFileOnly(
      AdapterFiles.Saved saved, long splitSeed, Long recordedSeed, PrintWriter err) {
    if (saved.labels().isEmpty() && data.corpus == null) {
      throw new UserInputException(
          adapterDir + " records no labels, so --test needs the training data too (--data)");
    }
    Dataset test;
    Dataset documents = null;
    try {
      if (data.corpus != null) {
        Corpus corpus = Corpus.read(data.corpus);
        test = corpus.readQueries(data.test);
        documents = corpus.asDataset();
      } else {
        test = LabelCheck.listed(DataFiles.read(data.test), saved.labels(), ADAPTER_LABELS);
        // Capped in the order the run capped it in (AdapterFiles.TEST_CAP_LABEL_ORDER), below.
        test = test.withLabels(capOrder(saved));
      }
      int maxEval = data.maxEval();
      if (maxEval < test.size()) {
        // The subset the adapter's run evaluated with the same file, cap and seed
        // (TaskSource.load).
        err.printf(
            "%s: %d of its %d examples (--max-eval %d%s, stratified with split seed %d)%n",
            data.test,
            maxEval,
            test.size(),
            maxEval,
            maxEvalGiven() ? "" : ", as the adapter's training run evaluated",
            splitSeed);
        if (seed != null && recordedSeed != null && !seed.equals(recordedSeed)) {
          // Nothing is split: the seed only picks the capped subset (uncapped, it changes nothing).
          err.printf(
              "warning: --seed %d differs from the seed the adapter was trained with (%d): with"
                  + " --test alone it only picks which %d of the %d examples of %s are"
                  + " evaluated (--max-eval)%n",
              seed, recordedSeed, maxEval, test.size(), data.test);
        }
        test = Splits.capStratified(test, maxEval, splitSeed);
      }
      if (data.corpus == null) {
        test = test.withLabels(saved.labels());
      }
    } catch (DataFormatException e) {
      throw new UserInputException(e.getMessage(), e);
    } catch (IOException e) {
      throw new UserInputException("cannot read data: " + e.getMessage(), e);
    }
    Dataset none = Dataset.of(test.name() + " (no training data)", List.of(), test.labels());
    return new TaskSplits(test.name(), none, none, test, documents);
  }

  /** {@link AdapterFiles#testCapOrder}; a damaged record is a user error naming file and field. */
  private List<String> capOrder(AdapterFiles.Saved saved) {
    try {
      return AdapterFiles.testCapOrder(adapterDir, saved);
    } catch (IllegalArgumentException e) {
      throw new UserInputException(e.getMessage(), e);
    }
  }

  /** Whether the command line gave {@code --max-eval} (else the adapter's recorded cap applies). */
  private boolean maxEvalGiven() {
    return spec.commandLine().getParseResult().hasMatchedOption("--max-eval");
  }

  @Override
  public Integer call() throws Exception {
    model.precisionSetting();
    AdapterFolder.require(adapterDir);
    if (data.maxTrain != null) {
      throw new UserInputException(
          "--max-train caps training examples; eval trains nothing (--max-eval caps the examples"
              + " it evaluates)");
    }
    if (!split.equals("test") && !split.equals("validation")) {
      throw new UserInputException("--split must be test or validation, got " + split);
    }
    data.maxEval(); // refused before any note on the adapter's seed or task
    if (data.corpus != null && data.data == null && data.test == null) {
      throw new UserInputException(
          "--corpus needs queries of it to evaluate on: --test FILE (JSON Lines with \"text\" and"
              + " \"doc\"), or --data FILE to cut a test split from");
    }
    refuseTaskWithFiles();
    if (!Files.isRegularFile(adapterDir.resolve(AdapterFiles.HEAD_FILE))) {
      throw new UserInputException(
          adapterDir.resolve(AdapterFiles.HEAD_FILE)
              + ": missing; eval needs the classification head that train and simulate save next"
              + " to the adapter (without it the head would be random)");
    }
    AdapterFiles.Saved saved = AdapterFolder.read(adapterDir);
    SavedClassifier.requireFinite(adapterDir, saved);
    PrintWriter err = spec.commandLine().getErr();
    Long recordedSeed = AdapterFiles.trainingSeed(adapterDir, saved).orElse(null);
    long splitSeed = seed != null ? seed : recordedSeed != null ? recordedSeed : 42L;
    boolean recordedTask = useRecordedTask(saved, err);
    // --test FILE alone is the test split as it is: nothing is split, there is no validation split.
    boolean testFileOnly = data.data == null && data.test != null;
    if (testFileOnly && !split.equals("test")) {
      throw new UserInputException(
          "--split "
              + split
              + " needs the training data (--data): a --test file alone is a test split only");
    }
    if (seed == null && recordedSeed != null && !testFileOnly) {
      err.printf("split seed %d (recorded with the adapter)%n", recordedSeed);
    }
    if (seed != null && recordedSeed != null && !seed.equals(recordedSeed) && !testFileOnly) {
      err.printf(
          "warning: --seed %d differs from the seed the adapter was trained with (%d)%s%n",
          seed,
          recordedSeed,
          data.data != null && data.test == null
              ? ": the test split of --data then holds training rows"
              : "");
    }
    String fullyUsed =
        data.data != null && data.test == null
            ? AdapterFiles.fullyUsedFileDigest(adapterDir, saved).orElse(null)
            : null;
    if (fullyUsed != null && fullyUsed.equals(Sha256.of(data.data))) {
      throw new UserInputException(
          data.data
              + " is the file "
              + adapterDir
              + " was trained on, with its test examples apart (a test file of their own, or"
              + " data.split = \"none\"): every example of it trained or validated the adapter,"
              + " so a test split cut from it would score training examples; evaluate on the"
              + " run's test file alone with --test FILE"
              + (data.corpus == null ? "" : " --corpus " + data.corpus));
    }
    if (!maxEvalGiven()) {
      AdapterFiles.maxEval(adapterDir, saved).ifPresent(n -> data.maxEval = n);
    }
    // A single-task adapter's labels are its run's (data.labels, if set): a test label they list
    // is known even when the --data file has no example of it, and a label of the --data file that
    // they lack matters only in the split scored (checked below).
    TaskSplits splits =
        testFileOnly
            ? testFileOnly(saved, splitSeed, recordedSeed, err)
            : data.load(
                splitSeed,
                data.data != null && data.test != null && saved.taskLabels().size() <= 1
                    ? saved.labels()
                    : List.of());
    if (recordedTask
        && saved.taskLabels().size() <= 1
        && !saved.labels().isEmpty()
        && !saved.labels().equals(splits.labels())) {
      // Folders written before the task's parameters were recorded name the bare task.
      throw new UserInputException(
          adapterDir
              + " records the task "
              + data.task
              + ", but the adapter's "
              + saved.labels().size()
              + " labels are not that task's "
              + splits.labels().size()
              + ": it was trained on the task with other parameters, which this folder does not"
              + " record; give them with --task "
              + data.task
              + ":key=value,... (see '"
              + Launcher.command("tasks list")
              + "')");
    }
    Dataset ds = split.equals("test") ? splits.test() : splits.validation();
    if (ds.size() == 0) {
      throw new UserInputException(
          data.describe() + ": the " + split + " split is empty; nothing to evaluate");
    }
    boolean contrastive =
        AdapterFiles.objective(adapterDir, saved).filter("contrastive"::equals).isPresent();
    if (contrastive && splits.retrievalCorpus().isEmpty()) {
      throw new UserInputException(
          adapterDir
              + " was trained contrastively and is evaluated by MIPS over a corpus, but "
              + data.describe()
              + " has none (use its retrieval task, or --corpus with query files)");
    }
    Dataset byCorpus = ds; // labelled by the corpus's own order, for MIPS
    boolean multiTask = saved.taskLabels().size() > 1;
    if (multiTask && !splits.taskLabels().keySet().equals(saved.taskLabels().keySet())) {
      throw new UserInputException(
          adapterDir
              + " holds a head for the tasks "
              + saved.taskLabels().keySet()
              + " but "
              + data.describe()
              + " has the tasks "
              + splits.taskLabels().keySet()
              + ": eval scores a multi-task adapter on data of each of its tasks (bundled tasks:"
              + " --task "
              + String.join("+", saved.taskLabels().keySet())
              + ")");
    }
    if (!multiTask && !saved.labels().isEmpty() && !saved.labels().equals(ds.labels())) {
      // Only the scored split: a label of the --data file's other splits that the adapter lacks
      // does not matter.
      try {
        ds = LabelCheck.listed(ds, saved.labels(), ADAPTER_LABELS);
      } catch (DataFormatException e) {
        throw new UserInputException(e.getMessage(), e);
      } catch (IllegalArgumentException e) {
        throw new UserInputException(
            "the data's labels do not match the adapter's: " + e.getMessage(), e);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    try (SavedClassifier classifier =
        SavedClassifier.open(
            adapterDir,
            saved,
            multiTask ? HeadLayout.of(saved) : HeadLayout.single(ds.numLabels()),
            model,
            err)) {
      FrozenBase base = classifier.base();
      ClassifierModel m = classifier.model();
      Evaluation ev;
      if (contrastive) {
        double tau =
            AdapterFiles.temperature(adapterDir, saved).orElse(Objective.DEFAULT_TEMPERATURE);
        EncodedExamples documents = base.encode(splits.retrievalCorpus().get());
        EncodedExamples queries = base.encode(byCorpus);
        ProgressBar bar = ProgressBar.delayed(err, "eval", documents.size() + queries.size());
        // The documents are embedded first, then the queries.
        ev =
            EmbeddingRetrieval.evaluate(
                m,
                documents,
                queries,
                tau,
                LocalTrainer.EVAL_BATCH_SIZE,
                bar.mips(documents.size(), split));
      } else {
        EncodedExamples encoded = multiTask ? base.encode(ds, saved.taskLabels()) : base.encode(ds);
        ProgressBar bar = ProgressBar.delayed(err, "eval", encoded.size());
        LocalTrainer trainer = new LocalTrainer(m);
        // With a corpus, the ranking metrics come from the logits of the same pass.
        ev =
            ClassifierRetrieval.evaluateHead(
                trainer,
                encoded,
                LocalTrainer.EVAL_BATCH_SIZE,
                splits.retrievalCorpus().isPresent() && !multiTask,
                bar.texts(0, split));
      }
      String truncated = base.tokenizer().truncationNote("of the data");
      if (truncated != null) {
        err.println(truncated);
      }
      if (!Double.isFinite(ev.loss())) {
        throw new IllegalStateException(
            "the "
                + split
                + " loss of "
                + adapterDir
                + " is "
                + ev.loss()
                + " although its tensors and the model's weights are finite");
      }
      out.printf(
          Locale.ROOT,
          "%s accuracy: %.4f (loss %.4f, %d %s of %s)%n",
          split,
          ev.accuracy(),
          ev.loss(),
          ev.examples(),
          Main.plural(ev.examples(), "example"),
          data.describe());
      if (splits.retrievalCorpus().isPresent() && !multiTask) {
        out.println(SimulateCommand.retrievalLine(contrastive, ev.accuracy(), ev.extra()::get));
      }
      // A multi-task head: each task's accuracy on its own.
      ev.extra()
          .forEach(
              (k, v) -> {
                if (k.startsWith(LocalTrainer.TASK_ACCURACY)) {
                  out.printf(
                      Locale.ROOT,
                      "  %s: %.4f%n",
                      k.substring(LocalTrainer.TASK_ACCURACY.length()),
                      v);
                }
              });
    }
    return 0;
  }

  /**
   * Refuses {@code --task} with {@code --data}, {@code --test} or {@code --corpus}: the examples
   * then come from those files and the task would be ignored (as train refuses --task with --data).
   */
  private void refuseTaskWithFiles() {
    if (!spec.commandLine().getParseResult().hasMatchedOption("--task")) {
      return;
    }
    String option = data.data != null ? "--data" : data.test != null ? "--test" : null;
    if (option == null && data.corpus != null) {
      option = "--corpus";
    }
    if (option != null) {
      throw new UserInputException(
          "--task "
              + data.task
              + " does nothing with "
              + option
              + ": eval evaluates on "
              + data.describe()
              + "; leave out --task, or "
              + option
              + " to evaluate on the task");
    }
  }

  /**
   * Without --task, --data, --test or --corpus, evaluates on the task the adapter recorded (the
   * default task would be another dataset); an adapter trained on the user's own data is refused,
   * naming its file, as there is nothing bundled to evaluate it on.
   *
   * @return whether the task is the recorded one
   */
  private boolean useRecordedTask(AdapterFiles.Saved saved, PrintWriter err) {
    boolean chosen =
        data.data != null
            || data.test != null
            || data.corpus != null
            || spec.commandLine().getParseResult().hasMatchedOption("--task");
    String recorded = chosen ? null : AdapterFiles.task(adapterDir, saved).orElse(null);
    if (recorded == null) {
      return false;
    }
    if (!Tasks.isBundled(recorded)) {
      throw new UserInputException(
          adapterDir
              + " was trained on "
              + recorded
              + ", your own data, not a bundled task: evaluate it with --test FILE (or --data"
              + " FILE; add --corpus FILE for an adapter trained on a corpus's queries, which"
              + " also gives recall@5/@10 and MRR), or name a bundled task with --task");
    }
    if (!recorded.equals(data.task)) {
      err.printf("task %s (recorded with the adapter)%n", recorded);
      data.task = recorded;
    }
    return true;
  }
}
