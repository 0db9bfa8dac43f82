package org.fedpeft.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.LocalTrainer;
import org.junit.jupiter.api.Test;

/**
 * {@link ClassifierRetrieval#evaluateHead} with ranking: one forward pass gives the evaluation and
 * the ranking metrics that {@link LocalTrainer#evaluate} and {@link ClassifierRetrieval#evaluate}
 * gave in two; without ranking, it is {@link LocalTrainer#evaluate}'s evaluation.
 */
class ClassifierRetrievalOnePassTest {

  private static final String[] WORDS = {
    "the", "river", "bank", "saw", "a", "dog", "ran", "blue", "sky", "tool", "cut", "plank", "fast",
    "on", "foot", "we", "sat", "colour", "clear", "day", "pet", "barks", "station", "water"
  };

  /** Queries of 1 to 40 words, so that evaluation batches are cut by the token budget. */
  private static List<String> queries(int n) {
    SplittableRandom rng = new SplittableRandom(11);
    List<String> out = new ArrayList<>(n);
    for (int q = 0; q < n; q++) {
      StringBuilder s = new StringBuilder();
      int words = 1 + rng.nextInt(40);
      for (int w = 0; w < words; w++) {
        s.append(w == 0 ? "" : " ").append(WORDS[rng.nextInt(WORDS.length)]);
      }
      out.add(s.toString());
    }
    return out;
  }

  /** Records the calls of a progress callback. */
  private static final class Calls implements BatchProgress {
    final List<int[]> calls = new ArrayList<>();

    @Override
    public void onBatch(int done, int total) {
      calls.add(new int[] {done, total});
    }
  }

  @Test
  void onePassGivesExactlyTheMetricsOfTheTwoPasses() throws Exception {
    int n = 150;
    int documents = 40;
    PretrainedModel pm = TinyModels.tiny(5);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter a = AdapterRegistry.get("softembed").create(Map.of("form", "mlp"), enc, 2);
        ClassificationHead head = new ClassificationHead(root, 32, documents, 7)) {
      ClassifierRetrievalTest.perturb(a);
      ClassifierModel model = new ClassifierModel(enc, a, head);
      int[] relevant = new int[n];
      for (int q = 0; q < n; q++) {
        relevant[q] = (q * 7) % documents;
      }
      EncodedExamples data = EncodedExamples.encode(tok, queries(n), relevant);
      LocalTrainer trainer = new LocalTrainer(model);

      // As before: the evaluation, then a second pass for the ranking metrics.
      Calls evaluationPass = new Calls();
      Evaluation plain = trainer.evaluate(data, 64, evaluationPass);
      RetrievalMetrics ranking = ClassifierRetrieval.evaluate(model, data, 64);
      Evaluation twoPasses = plain.withMetrics(ranking.rankingMetrics());

      Calls onePass = new Calls();
      Evaluation got = ClassifierRetrieval.evaluateHead(trainer, data, 64, true, onePass);
      Calls unranked = new Calls();
      assertEquals(plain, ClassifierRetrieval.evaluateHead(trainer, data, 64, false, unranked));
      assertEquals(evaluationPass.calls.size(), unranked.calls.size());

      // Bit for bit: the record's and the map's equality compare the doubles exactly.
      assertEquals(twoPasses, got);
      assertEquals(
          Double.doubleToRawLongBits(twoPasses.loss()), Double.doubleToRawLongBits(got.loss()));
      assertEquals(ranking.top1(), got.accuracy());
      assertTrue(got.extra().get(RetrievalMetrics.MRR) < 1, "a random head ranks imperfectly");
      // The two passes cut the queries into different batches (token budget against the ranking
      // pass's fixed 64 queries), so the equality above is not that of two identical computations.
      assertNotEquals((n + 63) / 64, evaluationPass.calls.size());
      // One pass: the evaluation's batches, each reported once, up to n.
      assertEquals(evaluationPass.calls.size(), onePass.calls.size());
      int before = 0;
      for (int[] c : onePass.calls) {
        assertTrue(c[0] > before && c[0] <= n, "done " + c[0] + " after " + before);
        assertEquals(n, c[1]);
        before = c[0];
      }
      assertEquals(n, before);
    }
  }
}
