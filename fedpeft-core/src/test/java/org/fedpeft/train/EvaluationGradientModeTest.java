package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.junit.jupiter.api.Test;

/**
 * {@link LocalTrainer#evaluate} and {@link SentenceEmbedder} compute without gradients whatever
 * mode the calling thread was left in: with recording on and trainable adapter tensors the
 * attention runs another operator ({@code ScriptedAttention}), so an evaluation or an embedding on
 * a thread left recording (a new thread, such as a command's main thread) gave other last bits.
 * Both leave the thread's mode as they found it.
 */
class EvaluationGradientModeTest {

  @Test
  void anEvaluationOnARecordingThreadEqualsOneOnAThreadThatIsNot() throws Exception {
    Engine engine = Engines.pytorch();
    PretrainedModel pm = TinyModels.tiny(5);
    boolean before = JniUtils.isGradMode();
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora").create(Map.of("rank", "4", "dropout", "0"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 2, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      LocalTrainer trainer = new LocalTrainer(model);
      List<String> texts = new ArrayList<>();
      int[] labels = new int[24];
      for (int i = 0; i < labels.length; i++) {
        texts.add((i % 2 == 0 ? "red apple and green pear " : "blue sky over grey cloud ") + i);
        labels[i] = i % 2;
      }
      EncodedExamples data = EncodedExamples.encode(tok, texts, labels);
      trainer.train(
          data,
          new TrainConfig(10, 4, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, 3),
          opt,
          TrainListener.NONE);

      Engines.gradModeOffOnThisThread();
      List<float[]> quiet = new ArrayList<>();
      Evaluation off = trainer.evaluate(data, 8, BatchProgress.NONE, (i, l) -> quiet.add(l));
      List<float[]> recorded = new ArrayList<>();
      JniUtils.setGradMode(true); // a thread left recording, as a new thread starts
      Evaluation on = trainer.evaluate(data, 8, BatchProgress.NONE, (i, l) -> recorded.add(l));
      assertTrue(JniUtils.isGradMode(), "the thread's mode is left as it was");
      assertEquals(quiet.size(), recorded.size());
      for (int i = 0; i < quiet.size(); i++) {
        assertArrayEquals(quiet.get(i), recorded.get(i), "logits of example " + i);
      }
      assertEquals(Double.doubleToLongBits(off.loss()), Double.doubleToLongBits(on.loss()));

      // The same for sentence embeddings through the adapter (embed, retrieve, retention).
      SentenceEmbedder embedder = new SentenceEmbedder(enc, tok, lora, lora::prepareBatch);
      JniUtils.setGradMode(false);
      float[][] quietEmbeddings = embedder.embed(texts, 8);
      JniUtils.setGradMode(true);
      float[][] recordedEmbeddings = embedder.embed(texts, 8);
      assertTrue(JniUtils.isGradMode(), "the thread's mode is left as it was");
      for (int i = 0; i < texts.size(); i++) {
        assertArrayEquals(quietEmbeddings[i], recordedEmbeddings[i], "embedding of text " + i);
      }
    } finally {
      JniUtils.setGradMode(before);
    }
  }
}
