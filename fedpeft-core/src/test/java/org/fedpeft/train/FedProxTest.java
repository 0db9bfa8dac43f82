package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/** FedProx's proximal term keeps local training near the reference point. */
class FedProxTest {

  @Test
  void proximalTermPullsTowardsTheReference() throws Exception {
    double free = distanceAfterTraining(0f);
    double prox = distanceAfterTraining(50f);
    System.out.printf("distance from the reference: mu=0 %.5f, mu=50 %.5f%n", free, prox);
    assertTrue(prox < 0.5 * free, "mu=50 moved " + prox + ", mu=0 moved " + free);
  }

  /**
   * The trainer's proximal gradient, computed on the engine, equals FedProx's rule on host tensors
   * ({@link org.fedpeft.federation.FedProx#addProximalGradient(Map, Map, Map, double)}): {@code g +
   * mu (w - w_ref)} for a tensor with a reference, {@code g} unchanged for one without (a LOCAL
   * tensor, which gets no global value).
   */
  @Test
  void theTrainersProximalGradientIsFedProxsRule() {
    float mu = 0.37f;
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    float[] w1 = new float[12];
    float[] g1 = new float[12];
    float[] r1 = new float[12];
    float[] w2 = new float[6];
    float[] g2 = new float[6];
    for (float[] a : List.of(w1, g1, r1, w2, g2)) {
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) (rng.nextDouble() * 4 - 2);
      }
    }
    try (NDManager m = Engines.pytorch().newBaseManager()) {
      NDArray a1 = m.create(w1, new Shape(3, 4));
      NDArray a2 = m.create(w2, new Shape(6));
      a1.setRequiresGradient(true);
      a2.setRequiresGradient(true);
      // Gradients g1 and g2: the loss sum(w1 * g1) + sum(w2 * g2).
      try (Autograd.Recording rec = Autograd.record()) {
        NDArray loss =
            a1.mul(m.create(g1, new Shape(3, 4)))
                .sum()
                .add(a2.mul(m.create(g2, new Shape(6))).sum());
        rec.backward(loss);
      }
      List<AdapterTensor> params =
          List.of(
              new AdapterTensor("one", Role.GLOBAL, a1), new AdapterTensor("two", Role.LOCAL, a2));
      HostTensor ref = new HostTensor(new long[] {3, 4}, r1);
      LocalTrainer trainer = new LocalTrainer(null);
      trainer.setProximal(mu, Map.of("one", ref));
      trainer.addProximalGradient(params, m);
      Map<String, HostTensor> expected =
          org.fedpeft.federation.FedProx.addProximalGradient(
              Map.of(
                  "one", new HostTensor(new long[] {3, 4}, g1),
                  "two", new HostTensor(new long[] {6}, g2)),
              Map.of(
                  "one", new HostTensor(new long[] {3, 4}, w1),
                  "two", new HostTensor(new long[] {6}, w2)),
              Map.of("one", ref),
              mu);
      assertArrayEquals(expected.get("one").data(), a1.getGradient().toFloatArray(), 1e-6f);
      assertArrayEquals(g2, a2.getGradient().toFloatArray(), 0f);
      assertArrayEquals(expected.get("two").data(), g2, 0f);
    }
  }

  static double distanceAfterTraining(float mu) throws Exception {
    Engine engine = Engines.pytorch();
    PretrainedModel pm = TinyModels.tiny(5);
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora").create(Map.of("rank", "4", "dropout", "0"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 2, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      Map<String, HostTensor> reference = model.state();
      LocalTrainer trainer = new LocalTrainer(model);
      trainer.setProximal(mu, reference);
      EncodedExamples data =
          EncodedExamples.encode(
              tok,
              List.of("red apple", "green pear", "blue sky", "grey cloud"),
              new int[] {0, 0, 1, 1});
      TrainConfig cfg = new TrainConfig(30, 4, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, 3);
      trainer.train(data, cfg, opt, TrainListener.NONE);
      double d = 0;
      Map<String, HostTensor> after = model.state();
      for (var e : reference.entrySet()) {
        float[] a = e.getValue().data();
        float[] b = after.get(e.getKey()).data();
        for (int i = 0; i < a.length; i++) {
          d += (a[i] - b[i]) * (double) (a[i] - b[i]);
        }
      }
      return Math.sqrt(d);
    }
  }
}
