package org.fedpeft.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.Example;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.train.FrozenBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Retention on a tiny random BERT, against accuracies computed here by other means from the same
 * embeddings: retrieval by an arg-max over every document's inner product, nearest centroid by the
 * smallest Euclidean distance to the unit centroids.
 */
class RetentionTest {

  static final Retention.Settings SETTINGS =
      new Retention.Settings(Tasks.VERB_TOPIC, 40, 30, 80, 40, 7, 16);

  static FrozenBase base;
  static Retention retention;

  @BeforeAll
  static void setUp() throws Exception {
    base = new FrozenBase(TinyModels.tiny(23));
    retention = Retention.load(SETTINGS);
  }

  @AfterAll
  static void tearDown() {
    base.close();
  }

  static SentenceEmbedder embedder(EncoderHooks hooks) {
    return new SentenceEmbedder(base.encoder(), base.tokenizer(), hooks);
  }

  static List<String> texts(Dataset d) {
    List<String> out = new ArrayList<>();
    for (Example e : d.examples()) {
      out.add(e.text());
    }
    return out;
  }

  /** Top-1 retrieval accuracy: the arg-max document (first on ties) is the relevant one. */
  static double retrievalByHand(SentenceEmbedder e) {
    TaskSplits r =
        Tasks.load(
            Tasks.SENSE_RETRIEVAL,
            SETTINGS.seed(),
            TaskOptions.defaults().withParam("documents", "40").withMaxTest(30));
    float[][] docs = e.embed(texts(r.corpus()), 8);
    float[][] queries = e.embed(texts(r.test()), 8);
    int hits = 0;
    for (int q = 0; q < queries.length; q++) {
      int best = 0;
      double bestDot = Double.NEGATIVE_INFINITY;
      for (int d = 0; d < docs.length; d++) {
        double dot = 0;
        for (int j = 0; j < docs[d].length; j++) {
          dot += (double) docs[d][j] * queries[q][j];
        }
        if (dot > bestDot) {
          bestDot = dot;
          best = d;
        }
      }
      hits += best == r.test().labelIndex(q) ? 1 : 0;
    }
    assertEquals(30, queries.length);
    return (double) hits / queries.length;
  }

  /** Nearest-centroid accuracy by Euclidean distance from each test embedding to unit centroids. */
  static double centroidByHand(SentenceEmbedder e) {
    TaskSplits c =
        Tasks.load(
            Tasks.VERB_TOPIC,
            SETTINGS.seed(),
            TaskOptions.defaults().withMaxTrain(80).withMaxTest(40).withMaxValidation(0));
    float[][] train = e.embed(texts(c.train()), 8);
    float[][] test = e.embed(texts(c.test()), 8);
    int labels = c.train().numLabels();
    int dim = train[0].length;
    double[][] centroid = new double[labels][dim];
    int[] n = new int[labels];
    for (int i = 0; i < train.length; i++) {
      int l = c.train().labelIndex(i);
      n[l]++;
      for (int j = 0; j < dim; j++) {
        centroid[l][j] += train[i][j];
      }
    }
    int hits = 0;
    for (int i = 0; i < test.length; i++) {
      int best = -1;
      double bestDistance = Double.POSITIVE_INFINITY;
      for (int l = 0; l < labels; l++) {
        if (n[l] == 0) {
          continue;
        }
        double norm = 0;
        for (int j = 0; j < dim; j++) {
          norm += centroid[l][j] * centroid[l][j];
        }
        norm = Math.sqrt(norm);
        double distance = 0;
        for (int j = 0; j < dim; j++) {
          double diff = centroid[l][j] / norm - test[i][j];
          distance += diff * diff;
        }
        if (distance < bestDistance) {
          bestDistance = distance;
          best = l;
        }
      }
      hits += best == c.test().labelIndex(i) ? 1 : 0;
    }
    assertEquals(40, test.length);
    return (double) hits / test.length;
  }

  @Test
  void theBaseModelsScoresEqualTheAccuraciesComputedByHand() {
    SentenceEmbedder e = embedder(EncoderHooks.NONE);
    Retention.Scores s = retention.score(e);
    assertEquals(retrievalByHand(e), s.retrieval(), 1e-12);
    assertEquals(centroidByHand(e), s.centroid(), 1e-12);
    assertTrue(s.centroid() > 0, "a random encoder still beats zero on " + s);
  }

  @Test
  void anAdaptedModelIsScoredWithItsAdapterActive() {
    try (Adapter a = AdapterRegistry.get("fedbe").create(Map.of(), base.encoder(), 1)) {
      Retention.Scores before = retention.score(embedder(EncoderHooks.NONE));
      Retention.Scores atInit = retention.score(embedder(a));
      Retention.Result same = retention.compare(before, atInit);
      assertEquals(1.0, same.retrieval().ratio(), "identity at init retains everything");
      assertEquals(1.0, same.centroid().ratio());
      java.util.SplittableRandom rng = new java.util.SplittableRandom(9);
      for (AdapterTensor t : a.tensors()) {
        float[] d = new float[(int) t.array().size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (rng.nextDouble() - 0.5) * 2f;
        }
        Adapter.Tensors.assign(t.array(), d);
      }
      SentenceEmbedder adapted = embedder(a);
      Retention.Scores after = retention.score(adapted);
      assertEquals(retrievalByHand(adapted), after.retrieval(), 1e-12);
      assertEquals(centroidByHand(adapted), after.centroid(), 1e-12);
      assertNotEquals(before, after, "a perturbed adapter changes the embeddings");
      Retention.Result r = retention.compare(before, after);
      assertEquals(after.retrieval() / before.retrieval(), r.retrieval().ratio(), 1e-12);
      assertEquals(after.centroid() / before.centroid(), r.centroid().ratio(), 1e-12);
      JsonObject json = r.toJson();
      assertEquals(
          before.centroid(), json.getAsJsonObject("centroid").get("before").getAsDouble(), 0);
      assertEquals(Tasks.VERB_TOPIC, json.getAsJsonObject("centroid").get("task").getAsString());
      assertEquals(30, json.getAsJsonObject("retrieval").get("examples").getAsInt());
    }
  }

  @Test
  void nearestCentroidOnHandMadeVectors() {
    float[][] train = {{1, 0}, {0.8f, 0.6f}, {0, 1}, {-1, 0}};
    int[] trainLabels = {0, 0, 1, 1};
    // Centroid 0 ~ (0.949, 0.316); centroid 1 = (-0.5, 0.5) normalised, (-0.707, 0.707).
    float[][] test = {{1, 0}, {0, 1}, {-0.6f, 0.8f}, {0.6f, 0.8f}};
    int[] testLabels = {0, 1, 1, 1};
    // (0.6, 0.8): 0.569 + 0.253 = 0.822 with centroid 0, 0.141 with centroid 1: predicted 0.
    assertEquals(
        0.75, Retention.nearestCentroidAccuracy(train, trainLabels, test, testLabels, 2), 0);
    // A label with no train example is never predicted; its test examples count as errors.
    assertEquals(
        0.5,
        Retention.nearestCentroidAccuracy(
            train, new int[] {0, 0, 0, 0}, test, new int[] {0, 0, 1, 1}, 2),
        0);
  }

  @Test
  void aRatioOfAZeroBaselineIsNullInJson() {
    Retention.Part p = new Retention.Part("t", 0, 0.5, 3);
    assertTrue(Double.isNaN(p.ratio()));
    assertTrue(p.toJson().get("ratio").isJsonNull());
    Retention.Result r = new Retention.Result(p, new Retention.Part("u", 0.5, 0.25, 4));
    assertEquals(0.5, r.centroid().ratio());
    assertTrue(r.toJson().get("mean_ratio").isJsonNull(), "NaN mean is null");
  }

  @Test
  void settingsRejectAMultiTaskSpecAndEmptySizes() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Retention.Settings(
                Tasks.VERB_TOPIC + "+" + Tasks.NOUN_TOPIC, 40, 30, 80, 40, 7, 16));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Retention.Settings(Tasks.VERB_TOPIC, 0, 30, 80, 40, 7, 16));
  }
}
