package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
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
