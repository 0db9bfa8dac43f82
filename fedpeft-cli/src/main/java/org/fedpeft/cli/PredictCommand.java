package org.fedpeft.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.io.JsonOut;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.retrieval.Ranking;
import org.fedpeft.train.LocalTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedpeft predict}: the labels a saved adapter and head give new texts, as JSON lines. */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    description = {
      "Labels new texts with a saved adapter folder (as train or simulate write it): prints one"
          + " JSON object per text, in input order, with its label and that label's probability.",
      "Each object: {\"id\": ..., \"text\": ..., \"label\": ..., \"probability\": ..., \"top\":"
          + " [{\"label\": ..., \"probability\": ...}, ...]}: the label of the highest logit with"
          + " its softmax probability over the head's labels, then the --top-k most probable"
          + " labels (\"id\" only when the input row has one).",
      "Texts come from the arguments, else --input FILE, else one per line on standard input"
          + " (blank lines skipped), read as they come: each chunk of "
          + PredictCommand.CHUNK
          + " lines is labelled and printed before the next is read, and on a terminal each line"
          + " typed is answered at"
          + " once. A line of standard input that is not UTF-8 stops predict with exit 2, naming"
          + " the line, after the texts before it were printed. No text at all prints nothing"
          + " and says so on standard error (exit 0). Texts longer than the model's maximum"
          + " length are truncated to it, and a note on standard error says how many were.",
      "The probabilities are those eval scores: the same adapter, head and forward passes"
          + " (texts sorted by length into batches of at most --batch-size texts and "
          + LocalTrainer.EVAL_TOKEN_BUDGET
          + " padded tokens, as eval batches its examples; in chunks of "
          + PredictCommand.CHUNK
          + " texts, printed chunk by chunk).",
      "A multi-task adapter (one head per task): a text's task (the row's \"task\", else --task)"
          + " picks the head, and the object also has \"task\"; a text without one gets every"
          + " task's prediction: {\"text\": ..., \"tasks\": {\"TASK\": {\"label\": ...,"
          + " \"probability\": ..., \"top\": [...]}, ...}}.",
      "Refused: a folder without a fedpeft head (a plain Hugging Face PEFT folder), a"
          + " classifier-as-retriever head (its labels are document ids: use "
          + Launcher.IN_HELP
          + " retrieve)"
          + " and an adapter trained with --objective contrastive (its head was never trained).",
      ProgressBar.DELAYED_HELP
    })
public final class PredictCommand implements Callable<Integer> {

  /**
   * Texts scored and printed at a time: only one chunk's texts and results are held at once, of an
   * {@code --input} file or of standard input (whose chunk also ends when a line typed on a
   * terminal is followed by a pause: {@link GivenTexts}).
   */
  static final int CHUNK = 1024;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "ADAPTER_DIR",
      description =
          "The adapter folder train or simulate wrote (a run's adapter/, or a FedDPA client's"
              + " clients/<id>/adapter, whose own local adapter and instance weighting then"
              + " answer, as eval scores it).")
  Path adapterDir;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "TEXT", description = "Texts to label.")
  List<String> texts = new ArrayList<>();

  @Option(
      names = "--input",
      paramLabel = "FILE",
      description =
          "A file of texts: JSON Lines (.jsonl, .json) with a \"text\" field, or CSV (.csv) with a"
              + " \"text\" column; optional \"id\" (echoed) and, for a multi-task adapter, \"task\""
              + " (the head that answers; a task the adapter lacks is refused, naming the line);"
              + " other fields, such as a \"label\", are ignored. The file is checked whole"
              + " before any text is labelled (a bad row stops predict with exit 2, naming its"
              + " line, before anything is printed), then read again chunk by chunk: it is never"
              + " held in memory whole.")
  Path input;

  @Option(
      names = "--top-k",
      paramLabel = "K",
      defaultValue = "3",
      description =
          "Labels listed in \"top\", most probable first (default: ${DEFAULT-VALUE}); a K above"
              + " the head's (or task's) label count lists every label.")
  int topK;

  @Option(
      names = "--task",
      paramLabel = "TASK",
      description =
          "For a multi-task adapter: the task whose head labels the texts that name none"
              + " (default: every task's prediction). Refused for a single-task adapter.")
  String task;

  @Mixin AdapterModelOption model;

  /** eval's batches by default, so that the probabilities are those eval scores. */
  @Mixin BatchSizeOption batch = new BatchSizeOption(LocalTrainer.EVAL_BATCH_SIZE);

  /** A text to label, with what its input row had besides. */
  private record Text(String text, Object id, String task) {}

  @Override
  public Integer call() throws Exception {
    model.precisionSetting();
    int batchSize = batch.batchSize();
    if (topK < 1) {
      throw new UserInputException("--top-k must be at least 1, got " + topK);
    }
    if (input != null && !texts.isEmpty()) {
      throw new UserInputException(
          "texts given both as arguments and with --input " + input + ": give one or the other");
    }
    AdapterFolder.require(adapterDir);
    if (!Files.isRegularFile(adapterDir.resolve(AdapterFiles.HEAD_FILE))) {
      throw new UserInputException(
          adapterDir
              + ": no classification head ("
              + AdapterFiles.HEAD_FILE
              + " is missing): predict labels texts with the head that train and simulate save"
              + " next to the adapter; a plain Hugging Face PEFT folder has none");
    }
    AdapterFiles.Saved saved = AdapterFolder.read(adapterDir);
    refuseHeadsWithoutClasses(saved);
    HeadLayout layout = HeadLayout.of(saved);
    if (task != null && !layout.multiTask()) {
      throw new UserInputException(
          "--task "
              + task
              + ": "
              + adapterDir
              + " has a single head (labels "
              + saved.labels()
              + "); --task picks the head of a multi-task adapter");
    }
    if (task != null && !saved.taskLabels().containsKey(task)) {
      throw new UserInputException(
          "--task " + task + " is not a task of " + adapterDir + ": " + layout.tasks());
    }
    // A file is checked whole first (without holding it), then read again chunk by chunk; texts
    // given as arguments or on standard input are read chunk by chunk as they come.
    GivenTexts given =
        input == null ? GivenTexts.skippingBlankLines(texts, "text", System.in) : null;
    List<String> first = given != null ? given.next(CHUNK) : null;
    PrintWriter err = spec.commandLine().getErr();
    if (given != null && first.isEmpty()) {
      // Nothing in, nothing out (as in a pipeline), but said, as embed and retrieve say it.
      err.println(given.noneGiven("predict", "texts"));
      return 0;
    }
    int total = given != null ? given.total() : forEachInputText(layout, t -> {});
    SavedClassifier.requireFinite(adapterDir, saved);
    PrintWriter out = spec.commandLine().getOut();
    try (SavedClassifier classifier = SavedClassifier.open(adapterDir, saved, layout, model, err)) {
      LocalTrainer scorer = new LocalTrainer(classifier.model());
      ProgressBar bar = ProgressBar.delayed(err, "predict", total);
      int[] done = {0};
      Consumer<List<Text>> label =
          chunk -> {
            long[][] tokens = new long[chunk.size()][];
            for (int i = 0; i < tokens.length; i++) {
              tokens[i] = classifier.base().tokenizer().encode(chunk.get(i).text());
            }
            float[][] logits = new float[chunk.size()][];
            scorer.logits(
                tokens, batchSize, bar.texts(done[0], "texts"), (i, row) -> logits[i] = row);
            bar.clearLine();
            for (int i = 0; i < logits.length; i++) {
              out.println(JsonOut.line(record(chunk.get(i), logits[i], saved, done[0] + i)));
            }
            out.flush();
            done[0] += chunk.size();
          };
      if (given != null) {
        for (List<String> chunk = first; !chunk.isEmpty(); chunk = given.next(CHUNK)) {
          label.accept(chunk.stream().map(t -> new Text(t, null, null)).toList());
        }
        bar.finish(done[0], "texts");
      } else {
        List<Text> chunk = new ArrayList<>(Math.min(total, CHUNK));
        Consumer<Text> collect =
            t -> {
              chunk.add(t);
              if (chunk.size() == CHUNK || done[0] + chunk.size() == total) {
                label.accept(chunk);
                chunk.clear();
              }
            };
        if (forEachInputText(layout, collect) != total) {
          throw new UserInputException(input + " changed while it was read");
        }
      }
      // The note embed prints, once every text is labelled.
      String truncated = classifier.base().tokenizer().truncationNote("to label");
      if (truncated != null) {
        err.println(truncated);
      }
    }
    return 0;
  }

  /**
   * Refuses a head whose outputs are not classes to label texts with: that of a contrastively
   * trained adapter (never trained), of classifier-as-retriever (document ids), and one without
   * label names.
   */
  private void refuseHeadsWithoutClasses(AdapterFiles.Saved saved) {
    boolean contrastive;
    boolean retrieval;
    try {
      contrastive =
          AdapterFiles.objective(adapterDir, saved).filter("contrastive"::equals).isPresent();
      // Folders written before retrieval_corpus was recorded: a bundled retrieval task's head.
      retrieval =
          AdapterFiles.retrievalCorpus(adapterDir, saved)
              || AdapterFiles.task(adapterDir, saved).filter(Tasks::isRetrieval).isPresent();
    } catch (IllegalArgumentException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    if (contrastive) {
      throw new UserInputException(
          adapterDir
              + " was trained with the contrastive objective, so its head was never trained and"
              + " labels nothing; it serves retrieval by embeddings: "
              + Launcher.command(
                  "retrieve --adapter " + Launcher.arg(adapterDir) + " --method mips"));
    }
    if (retrieval) {
      throw new UserInputException(
          adapterDir
              + " is a classifier-as-retriever: its head's labels are the document ids of a"
              + " retrieval corpus, not classes; find the best documents for a text with "
              + Launcher.command("retrieve --adapter " + Launcher.arg(adapterDir))
              + " (--task TASK or --corpus FILE)");
    }
    if (saved.labels().isEmpty()) {
      throw new UserInputException(
          adapterDir + " records no labels, so its head's outputs have no names to print");
    }
  }

  /**
   * Hands the texts of {@code --input} to {@code handler} in file order as the file is read (never
   * held whole), and returns how many there were.
   *
   * @throws UserInputException naming the file and line of the first bad row (the rows before it
   *     were handled), or of a row whose task the adapter lacks
   */
  private int forEachInputText(HeadLayout layout, Consumer<Text> handler) throws IOException {
    int[] count = {0};
    try {
      DataFiles.forEachText(
          input,
          r -> {
            if (r.task() != null && layout.multiTask() && !layout.tasks().contains(r.task())) {
              throw new DataFormatException(
                  input,
                  r.line(),
                  "task \""
                      + r.task()
                      + "\" is not a task of "
                      + adapterDir
                      + ": "
                      + layout.tasks());
            }
            // A single head answers every text: a row's task then names nothing to pick.
            handler.accept(new Text(r.text(), r.id(), layout.multiTask() ? r.task() : null));
            count[0]++;
          });
    } catch (DataFormatException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    return count[0];
  }

  /**
   * The JSON object of one text: its id (if any), the text, then the prediction of its task's head
   * (of the only head, of the row's task or --task), or of every task's head under "tasks".
   *
   * @param logits the text's logits over every output of the head
   * @param number the text's 0-based position in the input, for an error
   */
  private Map<String, Object> record(Text t, float[] logits, AdapterFiles.Saved saved, int number) {
    for (float v : logits) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException(
            "the logits of text "
                + (number + 1)
                + " hold "
                + v
                + " (not printed); the adapter's tensors and the model's weights are finite, so"
                + " this is a numerical failure");
      }
    }
    Map<String, Object> o = new LinkedHashMap<>();
    if (t.id() != null) {
      o.put("id", t.id());
    }
    o.put("text", t.text());
    HeadLayout layout = HeadLayout.of(saved);
    if (!layout.multiTask()) {
      o.putAll(prediction(logits, saved.labels()));
      return o;
    }
    String chosen = t.task() != null ? t.task() : task;
    if (chosen != null) {
      o.put("task", chosen);
      o.putAll(block(logits, saved, layout, chosen));
      return o;
    }
    Map<String, Object> tasks = new LinkedHashMap<>();
    for (String name : layout.tasks()) {
      tasks.put(name, block(logits, saved, layout, name));
    }
    o.put("tasks", tasks);
    return o;
  }

  /** The prediction of task {@code name}'s head: its block of the logits. */
  private Map<String, Object> block(
      float[] logits, AdapterFiles.Saved saved, HeadLayout layout, String name) {
    int part = layout.indexOf(name);
    int from = layout.offset(part);
    int to = from + layout.parts().get(part).labels();
    return prediction(java.util.Arrays.copyOfRange(logits, from, to), saved.taskLabels().get(name));
  }

  /**
   * The label of the highest logit (the first of equal ones, as eval's arg-max), its probability
   * and the {@code --top-k} most probable labels (ties: the earlier label first).
   */
  private Map<String, Object> prediction(float[] logits, List<String> labels) {
    float[] p = ClassificationHead.probabilities(logits);
    int[] top = Ranking.topK(logits, topK);
    List<Map<String, Object>> listed = new ArrayList<>();
    for (int k : top) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("label", labels.get(k));
      e.put("probability", JsonOut.decimal(p[k]));
      listed.add(e);
    }
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("label", labels.get(top[0]));
    o.put("probability", JsonOut.decimal(p[top[0]]));
    o.put("top", listed);
    return o;
  }
}
