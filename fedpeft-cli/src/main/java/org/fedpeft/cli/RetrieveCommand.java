package org.fedpeft.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.io.JsonOut;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.retrieval.CarRetriever;
import org.fedpeft.retrieval.Corpus;
import org.fedpeft.retrieval.MipsIndex;
import org.fedpeft.retrieval.Retriever;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.FrozenBase;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedpeft retrieve}: the best documents of a corpus for each query, as JSON lines. */
@Command(
    name = "retrieve",
    mixinStandardHelpOptions = true,
    description = {
      "Prints one JSON object per query: {\"query\": ..., \"results\": [{\"id\": ..., \"score\":"
          + " ..., \"text\": ...}, ...]}, the best documents first.",
      "Queries come from the arguments, or one per line on standard input when there are none"
          + " (blank lines skipped), read as they come: each chunk of "
          + RetrieveCommand.CHUNK
          + " lines is answered before the next is read, and on a terminal each line typed is"
          + " answered at once. A"
          + " line that is not UTF-8 stops retrieve with exit 2, naming the line, after the"
          + " queries before it were answered. No query at all prints nothing and says so on"
          + " standard error (exit 0).",
      "--method car (the default with --adapter): the adapter's classification head over the"
          + " corpus's document ids; score = softmax probability over the corpus. An adapter"
          + " trained with --objective contrastive has no trained head: mips is its default and"
          + " car is refused.",
      "--method mips (the default without --adapter): cosine similarity of sentence embeddings"
          + " (mean pooling, L2 normalisation, as sentence-transformers), with the adapter when"
          + " --adapter is given, else the frozen encoder.",
      ProgressBar.DELAYED_HELP
    })
public final class RetrieveCommand implements Callable<Integer> {

  /** Queries searched and printed at a time (of standard input, the ones held at once). */
  static final int CHUNK = 256;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin AdapterModelOption model;

  /** Where the documents come from: exactly one of --task and --corpus. */
  static final class Source {
    @Option(
        names = "--task",
        paramLabel = "TASK",
        required = true,
        description = "A bundled task with a retrieval corpus, e.g. " + Tasks.SENSE_RETRIEVAL)
    String task;

    @Option(
        names = "--corpus",
        paramLabel = "FILE",
        required = true,
        description = "Your corpus: JSON Lines with a unique \"id\" and a non-empty \"text\".")
    Path corpus;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(
      names = "--adapter",
      paramLabel = "DIR",
      description =
          "A saved adapter folder (from train or simulate, or a Hugging Face PEFT LoRA folder).")
  Path adapterDir;

  @Option(
      names = "--method",
      paramLabel = "METHOD",
      description =
          "car or mips (default: car with --adapter, mips without or with a contrastively"
              + " trained adapter).")
  String method;

  @Option(
      names = "--top-k",
      paramLabel = "K",
      defaultValue = "10",
      description = "Documents per query (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--seed",
      paramLabel = "SEED",
      description =
          "Seed of the task's corpus (which documents it draws): the adapter's training seed when"
              + " it recorded one, else 42. Not with --corpus (refused: the file is the corpus).")
  Long seed;

  @Mixin BatchSizeOption batch;

  @Parameters(arity = "0..*", paramLabel = "QUERY", description = "Queries.")
  List<String> queries = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    model.precisionSetting();
    if (topK < 1) {
      throw new UserInputException("--top-k must be at least 1, got " + topK);
    }
    int batchSize = batch.batchSize();
    if (method != null && !method.equals("car") && !method.equals("mips")) {
      throw new UserInputException("--method must be car or mips, got " + method);
    }
    if (seed != null && source.corpus != null) {
      throw new UserInputException(
          "--seed draws the documents of a --task's corpus; with --corpus "
              + source.corpus
              + " the documents are the file's, so it does nothing: leave out --seed");
    }
    if ("car".equals(method) && adapterDir == null) {
      throw new UserInputException(
          "--method car needs --adapter: a saved head over the corpus's document ids");
    }
    AdapterFiles.Saved saved = null;
    if (adapterDir != null) {
      saved = AdapterFolder.read(adapterDir);
    }
    boolean contrastive =
        saved != null
            && AdapterFiles.objective(adapterDir, saved).filter("contrastive"::equals).isPresent();
    if (contrastive && "car".equals(method)) {
      throw new UserInputException(
          adapterDir
              + " was trained with the contrastive objective, so its head was never trained;"
              + " retrieve with --method mips (the default for it)");
    }
    String m = method != null ? method : adapterDir != null && !contrastive ? "car" : "mips";
    Corpus corpus = loadCorpus(saved);
    GivenTexts given = GivenTexts.skippingBlankLines(queries, "query", System.in);
    List<String> first = given.next(CHUNK);
    if (first.isEmpty()) {
      // Nothing in, nothing out (as in a pipeline), but said, as embed says it.
      spec.commandLine().getErr().println(given.noneGiven("retrieve", "queries"));
      return 0;
    }
    PrintWriter out = spec.commandLine().getOut();
    try (FrozenBase base =
            new FrozenBase(model.loadFor(adapterDir, saved, spec.commandLine().getErr()));
        Adapter adapter =
            saved == null
                ? null
                : SavedClassifier.adapter(adapterDir, saved, base.encoder(), model)) {
      // mips embeds the corpus first; then both score the queries. With queries of known number,
      // one bar counts the corpus's texts, then the queries; with queries read from standard
      // input, the corpus has a bar of its own, which ends before a second bar counts the
      // queries from 0.
      int corpusTexts = m.equals("mips") ? corpus.size() : 0;
      int queryTotal = given.total();
      boolean known = queryTotal != ProgressBar.UNKNOWN;
      PrintWriter err = spec.commandLine().getErr();
      ProgressBar bar =
          known ? ProgressBar.delayed(err, "retrieve", corpusTexts + queryTotal) : null;
      ClassificationHead head = null;
      try {
        Retriever retriever;
        if (m.equals("car")) {
          head =
              SavedClassifier.head(
                  adapterDir, saved, base, HeadLayout.single(saved.labels().size()), model);
          ClassifierModel cm = new ClassifierModel(base.encoder(), adapter, head);
          try {
            retriever = new CarRetriever(cm, base.tokenizer(), saved.labels(), corpus, batchSize);
          } catch (IllegalArgumentException e) {
            throw new UserInputException(
                adapterDir
                    + ": "
                    + e.getMessage()
                    + otherTask(saved)
                        .map(t -> " (it was trained on the task " + t + ": give --task " + t + ")")
                        .orElse(
                            " (train the head on this corpus; for --task, use the training seed)"),
                e);
          }
        } else {
          SentenceEmbedder embedder =
              adapter == null
                  ? new SentenceEmbedder(base.encoder(), base.tokenizer(), EncoderHooks.NONE)
                  : new SentenceEmbedder(
                      base.encoder(), base.tokenizer(), adapter, adapter::prepareBatch);
          ProgressBar corpusBar = known ? bar : ProgressBar.delayed(err, "retrieve", corpusTexts);
          retriever =
              MipsIndex.build(embedder, corpus.texts(), batchSize, corpusBar.texts(0, "corpus"));
        }
        if (!known) {
          bar = ProgressBar.delayed(err, "retrieve", ProgressBar.UNKNOWN);
        }
        int done = known ? corpusTexts : 0;
        for (List<String> chunk = first; !chunk.isEmpty(); chunk = given.next(CHUNK)) {
          List<List<Retriever.Hit>> hits = retriever.search(chunk, topK);
          bar.clearLine();
          for (int q = 0; q < chunk.size(); q++) {
            out.println(JsonOut.line(record(chunk.get(q), hits.get(q), corpus)));
          }
          out.flush();
          // The queries' progress moves by chunk (the search takes no callback).
          done += chunk.size();
          bar.update(done, "queries");
        }
        bar.finish(done, "queries");
        // As embed: texts cut to the model's maximum length are counted (car reads only queries).
        String truncated =
            base.tokenizer()
                .truncationNote(m.equals("car") ? "of the queries" : "of the corpus and queries");
        if (truncated != null) {
          err.println(truncated);
        }
      } finally {
        if (head != null) {
          head.close();
        }
      }
    }
    return 0;
  }

  private static Map<String, Object> record(String query, List<Retriever.Hit> hits, Corpus c) {
    List<Map<String, Object>> results = new ArrayList<>();
    for (Retriever.Hit h : hits) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("id", c.ids().get(h.document()));
      r.put("score", h.score());
      r.put("text", c.texts().get(h.document()));
      results.add(r);
    }
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("query", query);
    o.put("results", results);
    return o;
  }

  private Corpus loadCorpus(AdapterFiles.Saved saved) {
    if (source.corpus != null) {
      try {
        return Corpus.read(source.corpus);
      } catch (DataFormatException e) {
        throw new UserInputException(e.getMessage(), e);
      } catch (IOException e) {
        // A file-system error names the path itself (Main.describe adds what is wrong with it).
        throw new UserInputException(
            e instanceof FileSystemException
                ? e.getMessage()
                : "cannot read " + source.corpus + ": " + e.getMessage(),
            e);
      }
    }
    long s = seed != null ? seed : recordedSeed(saved);
    TaskSplits splits;
    try {
      splits = Tasks.load(source.task, s, TaskOptions.defaults());
    } catch (IllegalArgumentException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    return Corpus.of(
        splits
            .retrievalCorpus()
            .orElseThrow(
                () ->
                    new UserInputException(
                        "task "
                            + source.task
                            + " has no retrieval corpus ("
                            + Launcher.command("tasks list")
                            + " shows the tasks; or give --corpus FILE)")));
  }

  /**
   * The bundled task {@code saved} records having been trained on, when {@code --task} names
   * another one (another task, or the same with other parameters); empty otherwise.
   */
  private java.util.Optional<String> otherTask(AdapterFiles.Saved saved) {
    if (source.task == null) {
      return java.util.Optional.empty();
    }
    // Not the user's own data, and not the task given.
    return AdapterFiles.task(adapterDir, saved)
        .filter(recorded -> Tasks.isBundled(recorded) && !recorded.equals(source.task));
  }

  private long recordedSeed(AdapterFiles.Saved saved) {
    return saved == null ? 42 : AdapterFiles.trainingSeed(adapterDir, saved).orElse(42L);
  }
}
