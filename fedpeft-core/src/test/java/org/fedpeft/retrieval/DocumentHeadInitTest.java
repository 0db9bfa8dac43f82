package org.fedpeft.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.junit.jupiter.api.Test;

/**
 * The document-initialised CaR head on a tiny random BERT: its rows are the scaled unit embeddings
 * of the documents, and before training it ranks documents exactly as MIPS does.
 */
class DocumentHeadInitTest {

  static final List<String> DOCUMENTS = ClassifierRetrievalTest.DOCUMENTS;
  static final List<String> QUERIES = ClassifierRetrievalTest.QUERIES;
  static final int[] RELEVANT = ClassifierRetrievalTest.RELEVANT;
  static final int[] IDS = {0, 1, 2, 3, 4};

  @Test
  void rowsAreScaledUnitEmbeddingsAndTheHeadRanksAsMips() throws Exception {
    PretrainedModel pm = TinyModels.tiny(11);
    double scale = 7.5;
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        // An adapter at init equals the base model, so the head sees the frozen embeddings.
        Adapter a = AdapterRegistry.get("lora").create(Map.of("rank", "4"), enc, 3);
        ClassificationHead head = new ClassificationHead(root, 32, DOCUMENTS.size(), 5)) {
      ClassifierModel model = new ClassifierModel(enc, a, head);
      EncodedExamples docs = EncodedExamples.encode(tok, DOCUMENTS, IDS);
      Map<String, HostTensor> t = DocumentHeadInit.tensors(model, docs, head.layout(), scale);
      head.loadState(t);

      // By hand: row d = scale * e_d / |e_d| with e_d SentenceEmbedder's embedding, bias 0.
      SentenceEmbedder embedder = new SentenceEmbedder(enc, tok, EncoderHooks.NONE);
      float[][] unit = embedder.embed(DOCUMENTS, 2);
      float[] w = t.get("classifier.weight").data();
      for (int d = 0; d < DOCUMENTS.size(); d++) {
        double norm = 0;
        for (int k = 0; k < 32; k++) {
          assertEquals(scale * unit[d][k], w[d * 32 + k], 1e-5, "row " + d + ", column " + k);
          norm += (double) w[d * 32 + k] * w[d * 32 + k];
        }
        assertEquals(scale, Math.sqrt(norm), 1e-4, "length of row " + d);
      }
      for (float b : t.get("classifier.bias").data()) {
        assertEquals(0f, b);
      }

      // The head's ranking equals cosine nearest-neighbour search over the same documents.
      EncodedExamples queries = EncodedExamples.encode(tok, QUERIES, RELEVANT);
      RetrievalMetrics car = ClassifierRetrieval.evaluate(model, queries, 3);
      RetrievalMetrics mips = MipsIndex.build(embedder, DOCUMENTS, 4).evaluate(QUERIES, RELEVANT);
      assertEquals(mips.top1(), car.top1(), 1e-12);
      assertEquals(mips.toMap().get("mrr"), car.toMap().get("mrr"), 1e-9);
      assertTrue(mips.top1() > 0, "a test whose ranking finds nothing would not compare much");
    }
  }

  @Test
  void refusesAHeadThatDoesNotMatchTheCorpus() throws Exception {
    PretrainedModel pm = TinyModels.tiny(11);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        ClassificationHead head = new ClassificationHead(root, 32, 4, 5)) {
      ClassifierModel model = new ClassifierModel(enc, null, head);
      EncodedExamples docs = EncodedExamples.encode(tok, DOCUMENTS, IDS);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> DocumentHeadInit.tensors(model, docs, head.layout(), 20));
      assertTrue(
          e.getMessage().contains("4 outputs but the corpus has 5 documents"), e.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () ->
              DocumentHeadInit.tensors(
                  model,
                  docs,
                  HeadLayout.of(Map.of("a", List.of("x", "y"), "b", List.of("z", "w"))),
                  20));
    }
  }
}
