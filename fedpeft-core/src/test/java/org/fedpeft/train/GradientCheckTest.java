package org.fedpeft.train;

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
import org.fedpeft.model.RandomBert;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autograd's gradients of the adapter and head tensors against central finite differences of the
 * loss, on a tiny random BERT, for LoRA on every linear module, each soft-embedding form, Ravan's
 * cores and scales, FedBE's new blocks and the copies of top-k block fine-tuning. Values are
 * perturbed away from the zero init so every path carries gradient.
 */
class GradientCheckTest {

  /** (method, options) of every adapter under check; every trainable tensor is checked. */
  static Stream<Arguments> adapters() {
    return Stream.of(
        Arguments.of(
            "lora", Map.of("rank", "2", "alpha", "4", "dropout", "0", "targets", "all-linear")),
        Arguments.of("softembed", Map.of("form", "linear", "placement", "tokens")),
        Arguments.of("softembed", Map.of("form", "linear", "placement", "embeddings")),
        Arguments.of("softembed", Map.of("form", "lowrank", "rank", "3")),
        Arguments.of("softembed", Map.of("form", "mlp", "rank", "4", "placement", "embeddings")),
        // FedBE: one new block after each of the two base blocks, so the first follows a block
        // that runs on the scripted path and feeds an eager one, the second is on top.
        Arguments.of("fedbe", Map.of("blocks", "2")),
        // FedDPA in its default phase at inference before the local adapter is trained: the
        // global LoRA (peft.dual.FedDpaGradientTest checks the local phase's stopped gradient).
        Arguments.of("feddpa", Map.of("rank", "2", "alpha", "4", "dropout", "0")),
        Arguments.of(
            "fedlora", Map.of("rank", "2", "alpha", "4", "dropout", "0", "targets", "all-linear")),
        Arguments.of(
            "fedsa-lora",
            Map.of("rank", "2", "alpha", "4", "dropout", "0", "targets", "query+value")),
        // Top-k fine-tuning: the top block only (its input comes from the scripted path), and
        // both blocks (every copied tensor of a block feeding another copied block).
        Arguments.of("top-blocks", Map.of("blocks", "1")),
        Arguments.of("top-blocks", Map.of("blocks", "2")));
  }

  @ParameterizedTest
  @MethodSource("adapters")
  void adapterGradientsMatchFiniteDifferences(String method, Map<String, String> options) {
    check(method, options);
  }

  /** Ravan's cores H_i and scales s_i (both trained), with B_i and A_i frozen. */
  @Test
  void ravanCoreAndScaleGradientsMatchFiniteDifferences() {
    List<AdapterTensor> checked =
        check("ravan", Map.of("heads", "2", "rank", "2", "targets", "all-linear"));
    assertTrue(checked.stream().anyMatch(t -> t.name().contains(".ravan_H.")));
    assertTrue(checked.stream().anyMatch(t -> t.name().contains(".ravan_s.")));
  }

  /** Checks every trainable tensor of the method's adapter plus the head; returns them. */
  static List<AdapterTensor> check(String method, Map<String, String> options) {
    Engine engine = Engines.pytorch();
    BertConfig cfg = new BertConfig(50, 16, 2, 2, 24, 16, 2, 1e-12f);
    long seed = 20261121L;
    SplittableRandom rng = new SplittableRandom(seed);
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
      TokenBatch batch =
          TokenBatch.pad(new long[][] {{1, 5, 9, 2}, {1, 7, 3, 11, 4, 2}, {1, 8, 2}});
      long[] labels = {0, 2, 1};

      List<AdapterTensor> params = model.trainableTensors();
      float[][] grads = new float[params.size()][];
      try (NDScope scope = new NDScope();
          NDManager m = root.newSubManager()) {
        scope.suppressNotUsedWarning();
        try (GradientCollector gc = engine.newGradientCollector()) {
          NDArray loss = loss(model, m, batch, labels);
          gc.backward(loss);
        }
        for (int p = 0; p < params.size(); p++) {
          grads[p] = params.get(p).array().getGradient().toFloatArray();
        }
      }
      // Directional derivative along a random direction, and per-entry checks on a sample.
      double eps = 1e-2;
      int checked = 0;
      double worst = 0;
      for (int p = 0; p < params.size(); p++) {
        NDArray a = params.get(p).array();
        float[] value = a.toFloatArray();
        for (int k = 0; k < 3; k++) {
          int i = rng.nextInt(value.length);
          float[] plus = value.clone();
          plus[i] += (float) eps;
          float[] minus = value.clone();
          minus[i] -= (float) eps;
          Adapter.Tensors.assign(a, plus);
          double lp = lossValue(model, root, batch, labels);
          Adapter.Tensors.assign(a, minus);
          double lm = lossValue(model, root, batch, labels);
          Adapter.Tensors.assign(a, value);
          double fd = (lp - lm) / (2 * eps);
          double err =
              Math.abs(fd - grads[p][i]) / Math.max(1e-2, Math.abs(fd) + Math.abs(grads[p][i]));
          worst = Math.max(worst, err);
          checked++;
          assertTrue(
              err < 2e-2,
              params.get(p).name()
                  + "["
                  + i
                  + "]: autograd "
                  + grads[p][i]
                  + " vs finite difference "
                  + fd);
        }
      }
      assertTrue(checked >= 3 * params.size());
      System.out.println(
          "gradient check "
              + method
              + " "
              + options
              + ": "
              + checked
              + " entries, worst relative error "
              + worst);
      return params;
    }
  }

  static NDArray loss(ClassifierModel model, NDManager m, TokenBatch batch, long[] labels) {
    Shape s = new Shape(batch.batchSize(), batch.seqLen());
    NDArray logits = model.logits(m.create(batch.ids(), s), m.create(batch.mask(), s), false);
    return LocalTrainer.crossEntropy(logits, m.create(labels));
  }

  static double lossValue(ClassifierModel model, NDManager root, TokenBatch batch, long[] labels) {
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      return loss(model, m, batch, labels).toType(DataType.FLOAT64, false).getDouble();
    }
  }
}
