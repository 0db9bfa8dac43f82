package org.fedpeft.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.junit.jupiter.api.Test;

/**
 * MIPS evaluation from tokenized texts: the embeddings are {@link SentenceEmbedder}'s (so {@code
 * retrieve --method mips} ranks the same way), and the metrics and loss equal a hand computation.
 */
class EmbeddingRetrievalTest {

  @Test
  void embeddingsAreThoseOfTheSentenceEmbedderWithTheAdapter() throws Exception {
    PretrainedModel pm = TinyModels.tiny(5);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter a = AdapterRegistry.get("softembed").create(Map.of("form", "mlp"), enc, 2);
        ClassificationHead head = new ClassificationHead(root, 32, 5, 7)) {
      ClassifierRetrievalTest.perturb(a);
      ClassifierModel model = new ClassifierModel(enc, a, head);
      List<String> texts = ClassifierRetrievalTest.QUERIES;
      float[][] mine =
          EmbeddingRetrieval.embed(
              model, EncodedExamples.encode(tok, texts, new int[texts.size()]), 3);
      float[][] reference = new SentenceEmbedder(enc, tok, a, a::prepareBatch).embed(texts, 2);
      for (int i = 0; i < mine.length; i++) {
        assertArrayEquals(reference[i], mine[i], 1e-5f, "text " + i);
      }
      // The evaluation ranks as MipsIndex does.
      EncodedExamples docs =
          EncodedExamples.encode(tok, ClassifierRetrievalTest.DOCUMENTS, new int[] {0, 1, 2, 3, 4});
      EncodedExamples queries =
          EncodedExamples.encode(tok, texts, ClassifierRetrievalTest.RELEVANT);
      Evaluation ev = EmbeddingRetrieval.evaluate(model, docs, queries, 0.05, 4);
      RetrievalMetrics expected =
          MipsIndex.build(
                  new SentenceEmbedder(enc, tok, a, a::prepareBatch),
                  ClassifierRetrievalTest.DOCUMENTS,
                  2)
              .evaluate(texts, ClassifierRetrievalTest.RELEVANT);
      assertEquals(expected.top1(), ev.accuracy(), 1e-12);
      assertEquals(expected.recallAt5(), ev.extra().get("recall@5"), 1e-12);
      assertEquals(expected.mrr(), ev.extra().get("mrr"), 1e-12);
    }
  }

  @Test
  void scoresRanksAndLossOnATinyCorpusByHand() {
    // Documents (1, 0), (0, 1), (0.6, 0.8); query (0.8, 0.6) relevant to document 1.
    float[][] docs = {{1, 0}, {0, 1}, {0.6f, 0.8f}};
    float[] s = EmbeddingRetrieval.scores(new float[] {0.8f, 0.6f}, docs);
    assertArrayEquals(new float[] {0.8f, 0.6f, 0.96f}, s, 1e-6f);
    assertEquals(3, Ranking.rankOf(s, 1));
    // -log(e^(0.6/0.5) / (e^1.6 + e^1.2 + e^1.92)) = 1.5143045
    assertEquals(
        -Math.log(Math.exp(1.2) / (Math.exp(1.6) + Math.exp(1.2) + Math.exp(1.92))),
        EmbeddingRetrieval.crossEntropy(s, 1, 0.5),
        1e-6);
    assertEquals(1.5143044568, EmbeddingRetrieval.crossEntropy(s, 1, 0.5), 1e-6);
  }
}
