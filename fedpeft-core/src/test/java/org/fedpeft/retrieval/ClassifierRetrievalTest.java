package org.fedpeft.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.junit.jupiter.api.Test;

/** CaR and MIPS on a tiny random BERT with a perturbed soft-embedding adapter. */
class ClassifierRetrievalTest {

  static final List<String> DOCUMENTS =
      List.of(
          "dog: a domesticated carnivorous mammal",
          "saw: a hand tool with a toothed blade for cutting",
          "run: move fast by using your feet",
          "blue: the colour of the clear sky",
          "bank: sloping land beside a body of water");

  static final List<String> QUERIES =
      List.of(
          "a pet that barks",
          "cut the plank with it",
          "she ran to the station",
          "the sky is this colour on a clear day",
          "we sat on the river side",
          "a tool",
          "fast on foot, faster than walking and much faster than crawling");

  static final int[] RELEVANT = {0, 1, 2, 3, 4, 1, 2};

  static void perturb(Adapter a) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    for (AdapterTensor t : a.tensors()) {
      float[] d = new float[(int) t.array().size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = (float) (rng.nextDouble() - 0.5) * 0.3f;
      }
      Adapter.Tensors.assign(t.array(), d);
    }
  }

  /** A check on a CaR model: the tiny BERT, a perturbed soft-embedding adapter, a random head. */
  interface CarCheck {
    void run(ClassifierModel model, TextTokenizer tok, NDManager root) throws Exception;
  }

  /** Runs {@code check} on a CaR model over {@link #DOCUMENTS}, closing it afterwards. */
  static void withPerturbedCar(CarCheck check) throws Exception {
    PretrainedModel pm = TinyModels.tiny(5);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter a = AdapterRegistry.get("softembed").create(Map.of("form", "mlp"), enc, 2);
        ClassificationHead head = new ClassificationHead(root, 32, DOCUMENTS.size(), 7)) {
      perturb(a);
      check.run(new ClassifierModel(enc, a, head), tok, root);
    }
  }

  @Test
  void carMetricsEqualThoseOfEachQuerysOwnLogits() throws Exception {
    withPerturbedCar(
        (model, tok, root) -> {
          EncodedExamples data = EncodedExamples.encode(tok, QUERIES, RELEVANT);
          float[][] own = new float[QUERIES.size()][];
          for (int q = 0; q < own.length; q++) {
            try (NDScope scope = new NDScope();
                NDManager m = root.newSubManager()) {
              scope.suppressNotUsedWarning();
              TokenBatch b = data.batch(new int[] {q});
              Shape s = new Shape(1, b.seqLen());
              own[q] =
                  model.logits(m.create(b.ids(), s), m.create(b.mask(), s), false).toFloatArray();
            }
          }
          float[][] batched = new float[QUERIES.size()][];
          ClassifierRetrieval.forEachLogits(model, data, 3, (q, row) -> batched[q] = row);
          for (int q = 0; q < own.length; q++) {
            assertArrayEquals(own[q], batched[q], 1e-4f, "query " + q);
          }
          RetrievalMetrics expected = RetrievalMetrics.ofScores(own, RELEVANT);
          RetrievalMetrics got = ClassifierRetrieval.evaluate(model, data, 3);
          assertEquals(expected, got);
          assertEquals(expected.toMap(), ClassifierRetrieval.metrics(model, data, 2));
          assertEquals(new LocalTrainer(model).evaluate(data, 4).accuracy(), got.top1(), 1e-12);
        });
  }

  /**
   * CaR's retrieval (CarRetriever, {@code fedpeft retrieve --method car}) ran the queries in
   * batches of its own, without the evaluation's token budget, so a batch of long queries held up
   * to {@code batchSize} of them at once; it now takes the evaluation's pass. This checks what that
   * promises: 120 queries of 3 to 40 words (more padded tokens than one budget holds), with batches
   * of at most 64, give exactly the evaluation's logits. (It passed on the old code too: on this
   * tiny model the two batchings happened to give equal bits.)
   */
  @Test
  void carScoresAreTheEvaluationsLogitsBitForBit() throws Exception {
    withPerturbedCar(
        (model, tok, root) -> {
          java.util.SplittableRandom rng = new java.util.SplittableRandom(11);
          List<String> words =
              List.of("dog", "saw", "river", "blue", "fast", "tool", "sky", "bank");
          List<String> queries = new java.util.ArrayList<>();
          int[] relevant = new int[120];
          for (int q = 0; q < relevant.length; q++) {
            StringBuilder text = new StringBuilder();
            for (int w = 3 + rng.nextInt(38); w > 0; w--) {
              text.append(words.get(rng.nextInt(words.size()))).append(' ');
            }
            queries.add(text.toString().trim());
            relevant[q] = rng.nextInt(DOCUMENTS.size());
          }
          EncodedExamples data = EncodedExamples.encode(tok, queries, relevant);
          float[][] evaluated = new float[queries.size()][];
          new LocalTrainer(model)
              .evaluate(
                  data, 64, org.fedpeft.model.BatchProgress.NONE, (q, row) -> evaluated[q] = row);
          float[][] retrieved = new float[queries.size()][];
          ClassifierRetrieval.forEachLogits(model, data, 64, (q, row) -> retrieved[q] = row);
          for (int q = 0; q < queries.size(); q++) {
            assertArrayEquals(evaluated[q], retrieved[q], "query " + q + ": " + queries.get(q));
          }
        });
  }

  @Test
  void mipsFindsEachDocumentFromItsOwnTextWithCosineOne() throws Exception {
    PretrainedModel pm = TinyModels.tiny(5);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter a = AdapterRegistry.get("softembed").create(Map.of(), enc, 2)) {
      MipsIndex frozen =
          MipsIndex.build(new SentenceEmbedder(enc, tok, EncoderHooks.NONE), DOCUMENTS, 2);
      RetrievalMetrics self = frozen.evaluate(DOCUMENTS, new int[] {0, 1, 2, 3, 4});
      assertEquals(1.0, self.top1());
      float[][] s = frozen.scores(DOCUMENTS);
      for (int d = 0; d < DOCUMENTS.size(); d++) {
        assertEquals(1.0, s[d][d], 1e-5, "cosine of document " + d + " with itself");
        for (float v : s[d]) {
          assertTrue(v <= 1.0001f && v >= -1.0001f, "a cosine, got " + v);
        }
      }
      // The scores are cosines of SentenceEmbedder's embeddings (mean pooling, L2 norm).
      float[][] q = new SentenceEmbedder(enc, tok, EncoderHooks.NONE).embed(QUERIES, 4);
      float[][] viaIndex = frozen.scores(QUERIES);
      for (int i = 0; i < q.length; i++) {
        for (int d = 0; d < DOCUMENTS.size(); d++) {
          double dot = 0;
          for (int j = 0; j < q[i].length; j++) {
            dot += q[i][j] * frozen.document(d)[j];
          }
          assertEquals(dot, viaIndex[i][d], 1e-5);
        }
      }
      // With an adapter: at init the same index; perturbed, different embeddings.
      MipsIndex atInit = MipsIndex.build(new SentenceEmbedder(enc, tok, a), DOCUMENTS, 2);
      assertArrayEquals(frozen.document(3), atInit.document(3));
      perturb(a);
      MipsIndex adapted = MipsIndex.build(new SentenceEmbedder(enc, tok, a), DOCUMENTS, 2);
      assertFalse(java.util.Arrays.equals(frozen.document(3), adapted.document(3)));
    }
  }
}
