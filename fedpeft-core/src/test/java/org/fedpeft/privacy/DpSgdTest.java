package org.fedpeft.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DpSgdTest {

  static EncodedExamples data(TextTokenizer tok) {
    List<String> texts = new ArrayList<>();
    int[] labels = new int[12];
    for (int i = 0; i < 12; i++) {
      texts.add("sample " + i + (i % 3 == 0 ? " with a longer tail of words" : ""));
      labels[i] = i % 3;
    }
    return EncodedExamples.encode(tok, texts, labels);
  }

  /** Runs {@code body} on a tiny model with LoRA (options) and a 3-class head. */
  interface Body {
    void run(ClassifierModel model, Engine engine, EncodedExamples data, NDManager root)
        throws Exception;
  }

  static void withModel(Map<String, String> lora, Body body) throws Exception {
    withModel("lora", lora, body);
  }

  /** Runs {@code body} on a tiny model with an adapter of {@code method} and a 3-class head. */
  static void withModel(String method, Map<String, String> options, Body body) throws Exception {
    Engine engine = Engines.pytorch();
    PretrainedModel pm = TinyModels.tiny(21);
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter a = AdapterRegistry.get(method).create(options, enc, 4);
        ClassificationHead head = new ClassificationHead(root, 32, 3, 5)) {
      java.util.SplittableRandom rng = new java.util.SplittableRandom(8);
      for (AdapterTensor t : a.tensors()) {
        float[] d = new float[(int) t.array().size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (rng.nextDouble() - 0.5) * 0.3f;
        }
        Adapter.Tensors.assign(t.array(), d);
      }
      body.run(new ClassifierModel(enc, a, head), engine, data(tok), root);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"true", "false"})
  void batchedPerExampleGradientsEqualTheLoopOverSingleExamples(String trainA) throws Exception {
    withModel(
        Map.of("rank", "2", "targets", "all-linear", "dropout", "0", "train_a", trainA),
        DpSgdTest::fastEqualsLoop);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "linear/tokens",
        "linear/embeddings",
        "lowrank/tokens",
        "lowrank/embeddings",
        "mlp/tokens",
        "mlp/embeddings"
      })
  void softEmbeddingPerExampleGradientsEqualTheLoopOverSingleExamples(String formPlacement)
      throws Exception {
    String[] fp = formPlacement.split("/");
    withModel(
        "softembed",
        Map.of("form", fp[0], "placement", fp[1], "rank", "3"),
        DpSgdTest::fastEqualsLoop);
  }

  /** The batched per-example gradients equal the loop over single examples, tensor by tensor. */
  static void fastEqualsLoop(
      ClassifierModel model, Engine engine, EncodedExamples data, NDManager root) {
    DpSgd dp = new DpSgd(model, new DpSgd.Config(1, 0, 4), GaussianNoise.secure());
    assertTrue(dp.hasFastPath());
    int[] idx = {0, 3, 5, 7, 11};
    try (NDScope scope = new NDScope();
        NDManager step = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      Map<String, HostTensor> fast = DpSgd.toHost(dp.perExampleFast(data, idx, step));
      Map<String, HostTensor> loop = DpSgd.toHost(dp.perExampleLoop(data, idx, step));
      assertEquals(loop.keySet(), fast.keySet());
      for (var e : loop.entrySet()) {
        float[] a = e.getValue().data();
        float[] b = fast.get(e.getKey()).data();
        assertEquals(a.length, b.length, e.getKey());
        double scale = 1e-6;
        for (float v : a) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < a.length; i++) {
          assertEquals(a[i], b[i], 1e-4 * scale, e.getKey() + "[" + i + "]");
        }
      }
      clippedSumEqualsTheLoopByHand(model, data, idx, step, loop);
    }
  }

  /**
   * DP-SGD's clipped sum (no noise) equals the sum computed here from the loop's per-example
   * gradients: each example's flat norm over every trainable tensor, scaled by min(1, C / norm). C
   * is the median norm, so some examples are clipped and some are not.
   */
  static void clippedSumEqualsTheLoopByHand(
      ClassifierModel model,
      EncodedExamples data,
      int[] idx,
      NDManager step,
      Map<String, HostTensor> loop) {
    List<AdapterTensor> params = model.trainableTensors();
    double[] norms = new double[idx.length];
    for (AdapterTensor p : params) {
      float[] g = loop.get(p.name()).data();
      int per = g.length / idx.length;
      for (int i = 0; i < idx.length; i++) {
        for (int k = 0; k < per; k++) {
          norms[i] += (double) g[i * per + k] * g[i * per + k];
        }
      }
    }
    double[] sorted = new double[idx.length];
    for (int i = 0; i < idx.length; i++) {
      norms[i] = Math.sqrt(norms[i]);
      sorted[i] = norms[i];
    }
    java.util.Arrays.sort(sorted);
    double clip = sorted[idx.length / 2];
    DpSgd dp = new DpSgd(model, new DpSgd.Config(clip, 0, 4), GaussianNoise.secure());
    Map<String, HostTensor> got = DpSgd.toHost(dp.noisyGradient(data, idx, step, 1));
    for (AdapterTensor p : params) {
      float[] g = loop.get(p.name()).data();
      float[] sum = got.get(p.name()).data();
      int per = g.length / idx.length;
      double scale = 1e-9;
      double[] expected = new double[per];
      for (int k = 0; k < per; k++) {
        for (int i = 0; i < idx.length; i++) {
          expected[k] += Math.min(1, clip / norms[i]) * g[i * per + k];
        }
        scale = Math.max(scale, Math.abs(expected[k]));
      }
      for (int k = 0; k < per; k++) {
        assertEquals(expected[k], sum[k], 1e-4 * scale, p.name() + "[" + k + "]");
      }
    }
  }

  @Test
  void hugeClipAndNoNoiseGiveTheOrdinaryGradient() throws Exception {
    withModel(
        Map.of("rank", "2", "dropout", "0"),
        (model, engine, data, root) -> {
          DpSgd dp = new DpSgd(model, new DpSgd.Config(1e9, 0, 4), GaussianNoise.secure());
          int[] idx = {1, 2, 4, 8};
          try (NDScope scope = new NDScope();
              NDManager step = root.newSubManager()) {
            scope.suppressNotUsedWarning();
            Map<String, HostTensor> dpGrad =
                DpSgd.toHost(dp.noisyGradient(data, idx, step, idx.length));
            TokenBatch b = data.batch(idx);
            Shape s = new Shape(b.batchSize(), b.seqLen());
            try (GradientCollector gc = engine.newGradientCollector()) {
              NDArray logits =
                  model.logits(step.create(b.ids(), s), step.create(b.mask(), s), true);
              gc.backward(LocalTrainer.crossEntropy(logits, step.create(data.labelsOf(idx))));
            }
            for (AdapterTensor p : model.trainableTensors()) {
              float[] ordinary = p.array().getGradient().toFloatArray();
              float[] priv = dpGrad.get(p.name()).data();
              for (int i = 0; i < ordinary.length; i++) {
                assertEquals(ordinary[i], priv[i], 1e-5 + 1e-4 * Math.abs(ordinary[i]), p.name());
              }
            }
          }
        });
  }

  @Test
  void clippingBoundsEachExampleAndNoiseHasStdSigmaCOverL() throws Exception {
    withModel(
        Map.of("rank", "2", "dropout", "0"),
        (model, engine, data, root) -> {
          double clip = 1e-3;
          DpSgd dp = new DpSgd(model, new DpSgd.Config(clip, 0, 4), GaussianNoise.secure());
          int[] idx = {0, 1, 2, 3, 4, 5};
          try (NDScope scope = new NDScope();
              NDManager step = root.newSubManager()) {
            scope.suppressNotUsedWarning();
            double sq = 0;
            for (HostTensor t : DpSgd.toHost(dp.noisyGradient(data, idx, step, 1)).values()) {
              sq += t.squaredNorm();
            }
            assertTrue(
                Math.sqrt(sq) <= idx.length * clip * (1 + 1e-4), "sum norm " + Math.sqrt(sq));
            // An empty batch: pure noise, N(0, (sigma C / L)^2).
            DpSgd noisy =
                new DpSgd(
                    model, new DpSgd.Config(2.0, 1.5, 8), GaussianNoise.seededForTestsOnly(4));
            double s2 = 0;
            long n = 0;
            for (HostTensor t :
                DpSgd.toHost(noisy.noisyGradient(data, new int[0], step, 8)).values()) {
              s2 += t.squaredNorm();
              n += t.size();
            }
            assertEquals(1.5 * 2.0 / 8, Math.sqrt(s2 / n), 0.05 * 1.5 * 2.0 / 8);
          }
        });
  }

  @Test
  void trainsUntilTheBudgetIsSpent() throws Exception {
    withModel(
        Map.of("rank", "2"),
        (model, engine, data, root) -> {
          DpSgd dp = new DpSgd(model, new DpSgd.Config(1.0, 1.0, 4), GaussianNoise.secure());
          double q = 4.0 / 12;
          double eps5 = new RdpAccountant().step(q, 1.0, 5).getEpsilon(1e-5);
          double eps6 = new RdpAccountant().step(q, 1.0, 6).getEpsilon(1e-5);
          PrivacyBudget budget = new PrivacyBudget((eps5 + eps6) / 2, 1e-5);
          Map<String, HostTensor> before = model.state();
          try (AdamW opt = new AdamW(root)) {
            TrainConfig cfg =
                new TrainConfig(20, 4, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, 3);
            int steps = dp.train(data, cfg, opt, budget, TrainListener.NONE);
            assertEquals(5, steps);
          }
          assertEquals(5, budget.accountant().totalSteps());
          assertTrue(!before.equals(model.state()), "training changed the adapter");
        });
  }
}
