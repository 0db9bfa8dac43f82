package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
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
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * The classification head's own learning rate ({@link TrainConfig#headLearningRate}): by hand, a
 * first AdamW step moves every entry with a non-zero gradient by almost exactly its learning rate
 * (m / sqrt(v) = g / |g| after bias correction), so after one step the head's entries move by the
 * head's rate and the adapter's by the adapter's, which the head's rate does not change.
 */
class HeadLearningRateTest {

  static final float LR = 1e-3f;
  static final float HEAD_LR = 2e-2f;

  @Test
  void headTensorsStepByTheirOwnRate() throws Exception {
    Step same = oneStep(LR);
    Step own = oneStep(HEAD_LR);
    Map<String, HostTensor> before = same.before();
    assertEquals(before, own.before(), "the same start");
    int headEntries = 0;
    for (String name : before.keySet()) {
      float[] b = before.get(name).data();
      float[] a1 = same.after().get(name).data();
      float[] a2 = own.after().get(name).data();
      if (name.startsWith("classifier")) {
        for (int i = 0; i < b.length; i++) {
          double m1 = Math.abs(a1[i] - b[i]);
          double m2 = Math.abs(a2[i] - b[i]);
          if (m1 > 0) {
            headEntries++;
            assertEquals(LR, m1, 1e-4 * LR + 1e-7, name + "[" + i + "] at the shared rate");
            assertEquals(HEAD_LR, m2, 1e-4 * HEAD_LR + 1e-7, name + "[" + i + "] at its own rate");
          }
        }
      } else {
        assertEquals(
            same.after().get(name), own.after().get(name), name + " does not see the head's rate");
      }
    }
    assertTrue(headEntries > 0, "the head moved");
  }

  @Test
  void scheduleAndValidation() {
    TrainConfig c = new TrainConfig(10, 4, 1e-3f, 0f, 2, TrainConfig.Schedule.LINEAR, 0f, 1, 4e-3f);
    for (int s = 0; s < 10; s++) {
      assertEquals(4 * c.learningRateAt(s), c.headLearningRateAt(s), 1e-9, "step " + s);
    }
    TrainConfig shared = new TrainConfig(10, 4, 1e-3f, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, 1);
    assertEquals(shared.learningRate(), shared.headLearningRate());
    assertEquals(4e-3f, c.withBatchSize(3).withSeed(7).headLearningRate());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TrainConfig(10, 4, 1e-3f, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, 1, 0f));
    assertTrue(e.getMessage().startsWith("head_learning_rate must be positive"), e.getMessage());
  }

  /** The trainable state before and after a step. */
  record Step(Map<String, HostTensor> before, Map<String, HostTensor> after) {}

  /** One step of LoRA + head at the given head rate. */
  static Step oneStep(float headLr) throws Exception {
    PretrainedModel pm = TinyModels.tiny(5);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora").create(Map.of("rank", "4", "dropout", "0"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 2, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      for (AdapterTensor t : model.trainableTensors()) {
        assertTrue(
            t.name().startsWith("classifier") == head.tensors().contains(t),
            t.name() + ": the test tells head tensors by name");
      }
      Map<String, HostTensor> before = model.state();
      EncodedExamples data =
          EncodedExamples.encode(
              tok,
              List.of("red apple", "green pear", "blue sky", "grey cloud"),
              new int[] {0, 0, 1, 1});
      TrainConfig cfg =
          new TrainConfig(1, 4, LR, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, 3, headLr);
      new LocalTrainer(model).train(data, cfg, opt, TrainListener.NONE);
      return new Step(before, model.state());
    }
  }
}
