package org.fedpeft.eval;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.Example;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.io.Words;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.retrieval.MipsIndex;

/**
 * How much of the base encoder's general ability an adapted encoder keeps, measured the same way
 * for every method, from sentence embeddings alone (no head): the {@link SentenceEmbedder} of the
 * model (mean pooling over the attention mask, L2 normalisation, as sentence-transformers), once
 * for the base model and once with the trained adapter active.
 *
 * <ul>
 *   <li>Retrieval: top-1 accuracy of cosine nearest-neighbour search ({@link MipsIndex}) of the
 *       test queries of {@value #RETRIEVAL_TASK} (example sentences) over its corpus documents.
 *   <li>Nearest centroid: on a task the fine-tuning never saw (by default {@value
 *       #DEFAULT_CENTROID_TASK}), the centroid of each label is the mean of the normalised
 *       embeddings of its train examples; a test example is given the label whose centroid has the
 *       highest cosine similarity with its embedding (ties: the lower label index); accuracy on the
 *       test split.
 * </ul>
 *
 * Retention of a part = accuracy after / accuracy before. The data is drawn from {@link
 * Settings#seed} with capped sizes, independent of the run, so every run with the same settings
 * measures on the same texts.
 */
public final class Retention {

  /** The task of the retrieval part. */
  public static final String RETRIEVAL_TASK = Tasks.SENSE_RETRIEVAL;

  /** The default task of the nearest-centroid part. */
  public static final String DEFAULT_CENTROID_TASK = Tasks.VERB_TOPIC;

  /**
   * What retention is measured on.
   *
   * @param centroidTask the task of the nearest-centroid part: one task spec ({@code name} or
   *     {@code name:key=value,...}), not a multi-task spec
   * @param documents corpus documents of the retrieval part, at least 1
   * @param queries at most this many retrieval queries (stratified cap of the test split), >= 1
   * @param centroidTrain at most this many train examples (stratified) for the centroids, >= 1
   * @param centroidTest at most this many test examples (stratified), >= 1
   * @param seed the seed of both tasks' data (documents, splits and caps)
   * @param batchSize texts per forward pass, >= 1
   */
  public record Settings(
      String centroidTask,
      int documents,
      int queries,
      int centroidTrain,
      int centroidTest,
      long seed,
      int batchSize) {

    /** Checks every field, naming the wrong one. */
    public Settings {
      Objects.requireNonNull(centroidTask, "centroidTask");
      if (Tasks.tasksOf(centroidTask).size() != 1) {
        throw new IllegalArgumentException(
            "retention: the nearest-centroid task must be one task, got " + centroidTask);
      }
      positive("documents", documents);
      positive("queries", queries);
      positive("centroidTrain", centroidTrain);
      positive("centroidTest", centroidTest);
      positive("batchSize", batchSize);
    }

    private static void positive(String name, int v) {
      if (v < 1) {
        throw new IllegalArgumentException("retention: " + name + " must be >= 1, got " + v);
      }
    }
  }

  /**
   * One part's accuracies.
   *
   * @param task the task measured on
   * @param before accuracy of the base model
   * @param after accuracy with the adapter
   * @param examples test examples (queries) it was measured on
   */
  public record Part(String task, double before, double after, int examples) {

    /** after / before; NaN when before is 0. */
    public double ratio() {
      return before > 0 ? after / before : Double.NaN;
    }

    /**
     * {@code task}, {@code before}, {@code after}, {@code ratio} (null if NaN), {@code examples}.
     */
    public JsonObject toJson() {
      JsonObject o = new JsonObject();
      o.addProperty("task", task);
      o.addProperty("before", before);
      o.addProperty("after", after);
      double r = ratio();
      o.addProperty("ratio", Double.isNaN(r) ? null : r);
      o.addProperty("examples", examples);
      return o;
    }
  }

  /** Both parts. */
  public record Result(Part retrieval, Part centroid) {

    /** The mean of the two ratios (NaN if either is). */
    public double meanRatio() {
      return (retrieval.ratio() + centroid.ratio()) / 2;
    }

    /** {@code retrieval}, {@code centroid} (each {@link Part#toJson}) and {@code mean_ratio}. */
    public JsonObject toJson() {
      JsonObject o = new JsonObject();
      o.add("retrieval", retrieval.toJson());
      o.add("centroid", centroid.toJson());
      double m = meanRatio();
      o.addProperty("mean_ratio", Double.isNaN(m) ? null : m);
      return o;
    }
  }

  /** The two accuracies of one model. */
  public record Scores(double retrieval, double centroid) {}

  private final Settings settings;
  private final List<String> documents;
  private final List<String> queries;
  private final int[] relevant;
  private final String centroidTaskName;
  private final List<String> trainTexts;
  private final int[] trainLabels;
  private final List<String> testTexts;
  private final int[] testLabels;
  private final int labels;

  private Retention(
      Settings settings,
      List<String> documents,
      List<String> queries,
      int[] relevant,
      String centroidTaskName,
      Dataset train,
      Dataset test) {
    this.settings = settings;
    this.documents = documents;
    this.queries = queries;
    this.relevant = relevant;
    this.centroidTaskName = centroidTaskName;
    this.trainTexts = texts(train);
    this.trainLabels = train.labelIndices();
    this.testTexts = texts(test);
    this.testLabels = test.labelIndices();
    this.labels = train.numLabels();
  }

  /**
   * Loads both tasks' data.
   *
   * @throws IllegalArgumentException for an unknown task or parameter, or a split left empty
   */
  public static Retention load(Settings s) {
    TaskSplits r =
        Tasks.load(
            RETRIEVAL_TASK,
            s.seed(),
            TaskOptions.defaults()
                .withParam("documents", Integer.toString(s.documents()))
                .withMaxTest(s.queries()));
    Dataset corpus = r.corpus();
    List<String> docs = texts(corpus); // document i has label index i (TaskSplits checks it)
    List<String> q = texts(r.test());
    int[] rel = r.test().labelIndices();
    TaskSplits c =
        Tasks.load(
            s.centroidTask(),
            s.seed(),
            TaskOptions.defaults()
                .withMaxTrain(s.centroidTrain())
                .withMaxTest(s.centroidTest())
                .withMaxValidation(0));
    if (q.isEmpty() || c.train().isEmpty() || c.test().isEmpty()) {
      throw new IllegalArgumentException(
          "retention: a split is empty ("
              + q.size()
              + " retrieval "
              + Words.plural(q.size(), "query", "queries")
              + ", "
              + c.train().size()
              + " train "
              + Words.plural(c.train().size(), "example")
              + " and "
              + c.test().size()
              + " test "
              + Words.plural(c.test().size(), "example")
              + " of "
              + s.centroidTask()
              + ")");
    }
    return new Retention(s, docs, q, rel, c.task(), c.train(), c.test());
  }

  public Settings settings() {
    return settings;
  }

  /** The retrieval and nearest-centroid accuracy of the model {@code embedder} embeds with. */
  public Scores score(SentenceEmbedder embedder) {
    return new Scores(retrievalAccuracy(embedder), centroidAccuracy(embedder));
  }

  /** The two parts from the scores of the base model and of the adapted model. */
  public Result compare(Scores before, Scores after) {
    return new Result(
        new Part(RETRIEVAL_TASK, before.retrieval(), after.retrieval(), queries.size()),
        new Part(centroidTaskName, before.centroid(), after.centroid(), testTexts.size()));
  }

  /** Top-1 accuracy of cosine nearest-neighbour retrieval of the queries over the documents. */
  public double retrievalAccuracy(SentenceEmbedder embedder) {
    return MipsIndex.build(embedder, documents, settings.batchSize())
        .evaluate(queries, relevant)
        .top1();
  }

  /** Nearest-centroid accuracy on the centroid task's test split (see the class comment). */
  public double centroidAccuracy(SentenceEmbedder embedder) {
    float[][] train = embedder.embed(trainTexts, settings.batchSize());
    float[][] test = embedder.embed(testTexts, settings.batchSize());
    return nearestCentroidAccuracy(train, trainLabels, test, testLabels, labels);
  }

  /**
   * Nearest-centroid accuracy: the centroid of label c is the mean of the (normalised) train
   * embeddings labelled c; a test embedding is predicted the label whose centroid has the highest
   * cosine similarity with it (ties: the lower label index). A label without train examples has no
   * centroid and is never predicted; its test examples count as errors.
   *
   * @param numLabels labels are in [0, numLabels)
   * @return the fraction of test embeddings predicted their own label
   */
  public static double nearestCentroidAccuracy(
      float[][] train, int[] trainLabels, float[][] test, int[] testLabels, int numLabels) {
    if (train.length != trainLabels.length || test.length != testLabels.length) {
      throw new IllegalArgumentException("one label per embedding");
    }
    if (test.length == 0) {
      throw new IllegalArgumentException("no test embeddings");
    }
    int dim = train.length > 0 ? train[0].length : test[0].length;
    double[][] sum = new double[numLabels][dim];
    int[] count = new int[numLabels];
    for (int i = 0; i < train.length; i++) {
      int c = trainLabels[i];
      count[c]++;
      for (int j = 0; j < dim; j++) {
        sum[c][j] += train[i][j];
      }
    }
    // Unit centroids, so the inner product with a unit test embedding is the cosine similarity.
    double[][] unit = new double[numLabels][];
    for (int c = 0; c < numLabels; c++) {
      if (count[c] == 0) {
        continue;
      }
      double norm = 0;
      for (int j = 0; j < dim; j++) {
        norm += sum[c][j] * sum[c][j];
      }
      norm = Math.max(Math.sqrt(norm), 1e-12);
      unit[c] = new double[dim];
      for (int j = 0; j < dim; j++) {
        unit[c][j] = sum[c][j] / norm;
      }
    }
    int correct = 0;
    for (int i = 0; i < test.length; i++) {
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < numLabels; c++) {
        if (unit[c] == null) {
          continue;
        }
        double dot = 0;
        for (int j = 0; j < dim; j++) {
          dot += unit[c][j] * test[i][j];
        }
        if (dot > bestScore) {
          bestScore = dot;
          best = c;
        }
      }
      if (best == testLabels[i]) {
        correct++;
      }
    }
    return (double) correct / test.length;
  }

  private static List<String> texts(Dataset d) {
    List<String> out = new ArrayList<>(d.size());
    for (Example e : d.examples()) {
      out.add(e.text());
    }
    return out;
  }
}
