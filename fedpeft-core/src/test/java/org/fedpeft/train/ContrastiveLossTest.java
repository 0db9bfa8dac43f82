package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.RandomBert;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contrastive objective: InfoNCE against a hand computation, the in-batch documents, autograd
 * against finite differences on a tiny random BERT, and training that moves the adapter only.
 */
class ContrastiveLossTest {

  @Test
  void infoNceEqualsAHandComputation() {
    try (NDManager m = Engines.pytorch().newBaseManager()) {
      // q1 = (1, 0), q2 = (0.6, 0.8); d1 = (1, 0), d2 = (0, 1), d3 = (0.8, 0.6).
      NDArray q = m.create(new float[] {1, 0, 0.6f, 0.8f}, new Shape(2, 2));
      NDArray d = m.create(new float[] {1, 0, 0, 1, 0.8f, 0.6f}, new Shape(3, 2));
      NDArray scores = q.matMul(d.transpose()); // (1, 0, 0.8), (0.6, 0.8, 0.96)
      NDArray loss =
          ContrastiveLoss.infoNce(scores, m.create(new long[] {0, 2}), m.create(1f / 0.5f));
      // tau 0.5: -log(e^2 / (e^2 + e^0 + e^1.6)) = 0.5909236;
      // -log(e^1.92 / (e^1.2 + e^1.6 + e^1.92)) = 0.7943045; mean 0.6926140.
      assertEquals(0.6926140230189519, loss.getFloat(), 1e-6);
    }
  }

  @Test
  void aDocumentSharedByQueriesOfTheBatchAppearsOnce() {
    ContrastiveLoss.InBatch in = ContrastiveLoss.inBatch(new int[] {7, 3, 7, 9, 3});
    assertArrayEquals(new int[] {7, 3, 9}, in.documents());
    assertArrayEquals(new long[] {0, 1, 0, 2, 1}, in.targets());
  }

  @Test
  void documentsMustBeInLabelOrderAndTheTemperaturePositive() {
    EncodedExamples shuffled = new EncodedExamples(new long[][] {{1, 2}, {1, 3}}, new int[] {1, 0});
    assertThrows(IllegalArgumentException.class, () -> ContrastiveLoss.of(shuffled, 0.1));
    assertThrows(IllegalArgumentException.class, () -> new ContrastiveLoss(new long[][] {{1}}, 0));
    assertEquals(
        "objective must be one of classification, contrastive, got 'triplet'",
        assertThrows(IllegalArgumentException.class, () -> Objective.parse("triplet", 0.1))
            .getMessage());
    assertEquals("contrastive", Objective.parse(" Contrastive ", 0.1).id());
  }

  static Stream<Arguments> adapters() {
    return Stream.of(
        Arguments.of("softembed", Map.of("form", "linear", "placement", "tokens")),
        Arguments.of("softembed", Map.of("form", "mlp", "rank", "4", "placement", "embeddings")),
        Arguments.of(
            "lora", Map.of("rank", "2", "alpha", "4", "dropout", "0", "targets", "query+value")));
  }

  // Queries (labels: their documents) and three documents of a 50-token vocabulary.
  private static final long[][] DOCS = {{1, 5, 9, 12, 2}, {1, 7, 3, 2}, {1, 8, 30, 41, 22, 2}};
  private static final EncodedExamples QUERIES =
      new EncodedExamples(
          new long[][] {{1, 5, 9, 2}, {1, 7, 3, 11, 4, 2}, {1, 8, 2}, {1, 12, 5, 2}},
          new int[] {0, 1, 2, 0});

  /** Autograd's gradients of the adapter's tensors against central finite differences. */
  @ParameterizedTest
  @MethodSource("adapters")
  void gradientsMatchFiniteDifferences(String method, Map<String, String> options) {
    Engine engine = Engines.pytorch();
    BertConfig cfg = new BertConfig(50, 16, 2, 2, 24, 16, 2, 1e-12f);
    long seed = 20261122L;
    SplittableRandom rng = new SplittableRandom(seed);
    ContrastiveLoss objective = new ContrastiveLoss(DOCS, 0.5);
    int[] all = {0, 1, 2, 3};
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(RandomBert.weights(cfg, seed), root);
        Adapter adapter = AdapterRegistry.get(method).create(options, enc, seed);
        ClassificationHead head = new ClassificationHead(root, 16, 3, seed)) {
      for (AdapterTensor t : adapter.tensors()) {
        float[] d = new float[(int) t.array().size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (rng.nextDouble() - 0.5);
        }
        Adapter.Tensors.assign(t.array(), d);
      }
      ClassifierModel model = new ClassifierModel(enc, adapter, head);
      List<AdapterTensor> params = adapter.tensors();
      float[][] grads = new float[params.size()][];
      try (NDScope scope = new NDScope();
          NDManager m = root.newSubManager()) {
        scope.suppressNotUsedWarning();
        try (GradientCollector gc = engine.newGradientCollector()) {
          gc.backward(objective.compute(model, QUERIES, all, m, false).loss());
        }
        for (int p = 0; p < params.size(); p++) {
          grads[p] = params.get(p).array().getGradient().toFloatArray();
        }
      }
      double eps = 1e-2;
      int checked = 0;
      double worst = 0;
      for (int p = 0; p < params.size(); p++) {
        NDArray a = params.get(p).array();
        float[] value = a.toFloatArray();
        for (int k = 0; k < 4; k++) {
          int i = rng.nextInt(value.length);
          float[] plus = value.clone();
          plus[i] += (float) eps;
          float[] minus = value.clone();
          minus[i] -= (float) eps;
          Adapter.Tensors.assign(a, plus);
          double lp = lossValue(objective, model, root, all);
          Adapter.Tensors.assign(a, minus);
          double lm = lossValue(objective, model, root, all);
          Adapter.Tensors.assign(a, value);
          double fd = (lp - lm) / (2 * eps);
          double err =
              Math.abs(fd - grads[p][i]) / Math.max(1e-2, Math.abs(fd) + Math.abs(grads[p][i]));
          worst = Math.max(worst, err);
          checked++;
          assertTrue(
              err < 2e-2,
              params.get(p).name() + "[" + i + "]: autograd " + grads[p][i] + " vs " + fd);
        }
      }
      assertEquals(4 * params.size(), checked);
      System.out.println(
          "contrastive gradient check "
              + method
              + " "
              + options
              + ": worst relative error "
              + worst);
    }
  }

  private static double lossValue(
      ContrastiveLoss objective, ClassifierModel model, NDManager root, int[] indices) {
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      return objective
          .compute(model, QUERIES, indices, m, false)
          .loss()
          .toType(DataType.FLOAT64, false)
          .getDouble();
    }
  }

  /** Full-batch training lowers the loss, changes the adapter and leaves the head as it was. */
  @Test
  void trainingMovesTheAdapterOnlyAndLowersTheLoss() {
    BertConfig cfg = new BertConfig(50, 16, 2, 2, 24, 16, 2, 1e-12f);
    ContrastiveLoss objective = new ContrastiveLoss(DOCS, 0.1);
    int[] all = {0, 1, 2, 3};
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(RandomBert.weights(cfg, 4), root);
        Adapter adapter =
            AdapterRegistry.get("softembed").create(Map.of("form", "linear"), enc, 4);
        ClassificationHead head = new ClassificationHead(root, 16, 3, 5);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(enc, adapter, head);
      Map<String, HostTensor> before = model.state();
      double initial = lossValue(objective, model, root, all);
      LocalTrainer trainer = new LocalTrainer(model);
      trainer.setContrastive(objective);
      TrainConfig tc = new TrainConfig(15, 4, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 3);
      double mean = trainer.train(QUERIES, tc, opt, TrainListener.NONE);
      assertTrue(Double.isFinite(mean));
      double after = lossValue(objective, model, root, all);
      assertTrue(after < initial, "loss " + initial + " -> " + after);
      Map<String, HostTensor> now = model.state();
      for (AdapterTensor t : head.tensors()) {
        assertArrayEquals(before.get(t.name()).data(), now.get(t.name()).data(), t.name());
      }
      assertFalse(
          java.util.Arrays.equals(
              before.get("soft_embed.U").data(), now.get("soft_embed.U").data()));
    }
  }

  /** Without an adapter there is nothing to train contrastively. */
  @Test
  void aHeadAloneCannotTrainContrastively() {
    BertConfig cfg = new BertConfig(50, 16, 2, 2, 24, 16, 2, 1e-12f);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(RandomBert.weights(cfg, 4), root);
        ClassificationHead head = new ClassificationHead(root, 16, 3, 5);
        AdamW opt = new AdamW(root)) {
      LocalTrainer trainer = new LocalTrainer(new ClassifierModel(enc, null, head));
      trainer.setContrastive(new ContrastiveLoss(DOCS, 0.1));
      TrainConfig tc = new TrainConfig(1, 4, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 3);
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> trainer.train(QUERIES, tc, opt, TrainListener.NONE));
      assertTrue(e.getMessage().contains("needs an adapter method"), e.getMessage());
    }
  }
}
