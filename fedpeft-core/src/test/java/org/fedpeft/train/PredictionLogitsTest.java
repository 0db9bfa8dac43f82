package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.junit.jupiter.api.Test;

/**
 * {@link LocalTrainer#logits}, what {@code predict} labels texts by, hands each text the logits
 * {@link LocalTrainer#evaluate} scores it by, bit for bit (the same batches and forward passes), on
 * a thread left recording gradients as well; for a multi-task head unmasked, each task's block
 * equal to the evaluation's masked logits of an example of that task.
 */
class PredictionLogitsTest {

  @Test
  void predictionLogitsAreTheEvaluationsLogits() throws Exception {
    PretrainedModel pm = TinyModels.tiny(5);
    Map<String, List<String>> taskLabels = new java.util.LinkedHashMap<>();
    taskLabels.put("a", List.of("x", "y"));
    taskLabels.put("b", List.of("p", "q", "r"));
    HeadLayout layout = HeadLayout.of(taskLabels);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora").create(Map.of("rank", "4", "dropout", "0"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, layout, 2)) {
      LocalTrainer trainer = new LocalTrainer(new ClassifierModel(enc, lora, head));
      List<String> texts = new ArrayList<>();
      int n = 21;
      int[] labels = new int[n];
      int[] tasks = new int[n];
      for (int i = 0; i < n; i++) {
        texts.add("a text of " + "some ".repeat(i % 7) + "length " + i);
        tasks[i] = i % 2;
        labels[i] = layout.offset(tasks[i]);
      }
      EncodedExamples data = EncodedExamples.encode(tok, texts, labels, tasks);
      float[][] scored = new float[n][];
      trainer.evaluate(data, 4, BatchProgress.NONE, (i, l) -> scored[i] = l);
      float[][] predicted = new float[n][];
      int[] done = new int[1];
      boolean before = JniUtils.isGradMode();
      try {
        JniUtils.setGradMode(true); // as a command's main thread starts
        trainer.logits(data.tokens(), 4, (d, total) -> done[0] = d, (i, l) -> predicted[i] = l);
      } finally {
        JniUtils.setGradMode(before);
      }
      assertEquals(n, done[0]);
      for (int i = 0; i < n; i++) {
        int from = layout.offset(tasks[i]);
        int to = from + layout.parts().get(tasks[i]).labels();
        assertArrayEquals(
            java.util.Arrays.copyOfRange(scored[i], from, to),
            java.util.Arrays.copyOfRange(predicted[i], from, to),
            "text " + i);
      }
    }
  }
}
