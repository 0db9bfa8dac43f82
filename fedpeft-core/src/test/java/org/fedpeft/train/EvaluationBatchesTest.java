package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.junit.jupiter.api.Test;

/** Evaluation batches bounded by a token budget: coverage, bounds, and unchanged results. */
class EvaluationBatchesTest {

  @Test
  void everyExampleOnceWithinBothBounds() {
    SplittableRandom rng = new SplittableRandom(7);
    long[][] tokens = new long[500][];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = new long[2 + rng.nextInt(i == 3 ? 300 : 127)];
    }
    tokens[3] = new long[300]; // longer than the budget: a batch of its own
    List<int[]> batches = LocalTrainer.evaluationBatches(tokens, 64, 2048);
    boolean[] seen = new boolean[tokens.length];
    int prevLongest = 0;
    for (int[] b : batches) {
      assertTrue(b.length >= 1 && b.length <= 64, "batch of " + b.length);
      int longest = 0;
      for (int i : b) {
        assertTrue(!seen[i], "index " + i + " twice");
        seen[i] = true;
        longest = Math.max(longest, tokens[i].length);
        assertTrue(tokens[i].length >= prevLongest, "batches not in length order");
      }
      assertTrue(
          b.length == 1 || (long) b.length * longest <= 2048,
          b.length + " x " + longest + " tokens exceeds the budget");
      prevLongest = longest;
    }
    for (int i = 0; i < seen.length; i++) {
      assertTrue(seen[i], "index " + i + " missing");
    }
  }

  @Test
  void shortSequencesStillFillTheBatchSize() {
    long[][] tokens = new long[128][];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = new long[20];
    }
    List<int[]> batches = LocalTrainer.evaluationBatches(tokens, 64, 2048);
    assertEquals(2, batches.size());
    assertEquals(64, batches.get(0).length);
  }

  @Test
  void rejectsEmptyBounds() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalTrainer.evaluationBatches(new long[1][1], 0, 2048));
    assertTrue(e.getMessage().contains("got 0"), e.getMessage());
  }

  @Test
  void budgetChangesResultsByRoundingOnly() throws IOException {
    PretrainedModel pm = TinyModels.tiny(5);
    List<String> texts = new ArrayList<>();
    int[] labels = new int[40];
    StringBuilder words = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      words.append(" word").append(i);
      texts.add("example " + i + words.substring(0, Math.min(words.length(), 4 + 7 * (i % 9))));
      labels[i] = i % 3;
    }
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora").create(Map.of("rank", "4", "targets", "query"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 3, 2)) {
      LocalTrainer trainer = new LocalTrainer(new ClassifierModel(enc, lora, head));
      EncodedExamples data = EncodedExamples.encode(tok, texts, labels);
      Evaluation wide = trainer.evaluate(data, 64, Integer.MAX_VALUE);
      Evaluation tight = trainer.evaluate(data, 64, 40);
      assertEquals(40, tight.examples());
      assertEquals(wide.accuracy(), tight.accuracy(), 1e-12);
      assertEquals(wide.loss(), tight.loss(), 1e-5 * Math.abs(wide.loss()));
    }
  }
}
