package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.junit.jupiter.api.Test;

/**
 * 240 training steps (plus evaluations) must not grow the number of live NDArrays nor the process's
 * resident memory: every intermediate is freed at the end of its step.
 */
class MemoryStabilityTest {

  @Test
  void liveArraysAndResidentMemoryStayFlatOver240Steps() throws IOException {
    Engine engine = Engines.pytorch();
    PretrainedModel pm = TinyModels.tiny(3);
    List<String> texts = new ArrayList<>();
    int[] labels = new int[64];
    for (int i = 0; i < 64; i++) {
      texts.add("example number " + i + " about topic " + (i % 4) + " with some more words");
      labels[i] = i % 4;
    }
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora")
                .create(Map.of("rank", "4", "targets", "all-linear"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 4, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      LocalTrainer trainer = new LocalTrainer(model);
      EncodedExamples data = EncodedExamples.encode(tok, texts, labels);
      TrainConfig cfg =
          new TrainConfig(40, 16, 1e-3f, 0.01f, 5, TrainConfig.Schedule.LINEAR, 1f, 5);
      // Warm-up: allocator pools, optimiser moments, JIT.
      trainer.train(data, cfg, opt, TrainListener.NONE);
      trainer.evaluate(data, 32);
      System.gc();
      int arraysBefore = root.getManagedArrays().size();
      long rssBefore = rssKb();
      for (int round = 0; round < 5; round++) {
        trainer.train(data, cfg.withSeed(round), opt, TrainListener.NONE);
        trainer.evaluate(data, 32);
      }
      System.gc();
      int arraysAfter = root.getManagedArrays().size();
      long rssAfter = rssKb();
      System.out.printf(
          "live arrays %d -> %d, RSS %d kB -> %d kB%n",
          arraysBefore, arraysAfter, rssBefore, rssAfter);
      assertEquals(arraysBefore, arraysAfter, "live NDArrays grew");
      assertTrue(
          rssAfter - rssBefore < 64 * 1024,
          "resident memory grew by " + (rssAfter - rssBefore) + " kB over 200 steps");
    }
  }

  /**
   * The same with a bfloat16 frozen base, whose products and embeddings come back through
   * TorchScript calls: the live array count stays flat (resident memory is checked above only).
   */
  @Test
  void liveArraysStayFlatWithABf16Base() throws IOException {
    Engine engine = Engines.pytorch();
    PretrainedModel pm = TinyModels.tiny(3);
    List<String> texts = new ArrayList<>();
    int[] labels = new int[64];
    for (int i = 0; i < 64; i++) {
      texts.add("example number " + i + " about topic " + (i % 4) + " with some more words");
      labels[i] = i % 4;
    }
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root, Precision.BF16);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora")
                .create(Map.of("rank", "4", "targets", "all-linear"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 4, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      LocalTrainer trainer = new LocalTrainer(model);
      EncodedExamples data = EncodedExamples.encode(tok, texts, labels);
      TrainConfig cfg =
          new TrainConfig(40, 16, 1e-3f, 0.01f, 5, TrainConfig.Schedule.LINEAR, 1f, 5);
      trainer.train(data, cfg, opt, TrainListener.NONE);
      trainer.evaluate(data, 32);
      int arraysBefore = root.getManagedArrays().size();
      for (int round = 0; round < 3; round++) {
        trainer.train(data, cfg.withSeed(round), opt, TrainListener.NONE);
        trainer.evaluate(data, 32);
      }
      assertEquals(arraysBefore, root.getManagedArrays().size(), "live NDArrays grew");
    }
  }

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
