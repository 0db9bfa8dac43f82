package org.fedpeft.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.EncodedExamples;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;

/**
 * Training step time of MiniLM + LoRA r=8 on query/value + head, batch 16 x 128 tokens: the median
 * of the timed steps after warm-up, and the process's peak RSS.
 */
public final class TrainStepBench {

  public static void main(String[] args) throws Exception {
    int warmup = 5;
    int timed = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Engine engine = Engines.pytorch();
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    try (NDManager root = engine.newBaseManager();
        BertEncoder encoder = new BertEncoder(pm.weights(), root);
        Adapter lora =
            AdapterRegistry.get("lora")
                .create(Map.of("rank", "8", "targets", "query+value"), encoder, 1);
        ClassificationHead head = new ClassificationHead(root, 384, 25, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(encoder, lora, head);
      LocalTrainer trainer = new LocalTrainer(model, engine);
      // 16 sequences of exactly 128 tokens each.
      long[][] tokens = new long[16][128];
      int[] labels = new int[16];
      for (int i = 0; i < 16; i++) {
        tokens[i][0] = 101;
        for (int t = 1; t < 127; t++) {
          tokens[i][t] = 1000 + (i * 131 + t * 17) % 20000;
        }
        tokens[i][127] = 102;
        labels[i] = i % 25;
      }
      EncodedExamples data = new EncodedExamples(tokens, labels);
      TrainConfig cfg =
          new TrainConfig(1, 16, 1e-4f, 0.01f, 0, TrainConfig.Schedule.CONSTANT, 1f, 7);
      List<Double> times = new ArrayList<>();
      for (int i = 0; i < warmup + timed; i++) {
        long t0 = System.nanoTime();
        trainer.train(data, cfg.withSeed(i), opt, org.fedpeft.train.TrainListener.NONE);
        double s = (System.nanoTime() - t0) / 1e9;
        if (i >= warmup) {
          times.add(s);
        }
      }
      double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      System.out.printf(
          "train step median: %.3f s (min %.3f, max %.3f, n=%d)%n",
          sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1], sorted.length);
      System.out.println("steps: " + Arrays.toString(sorted));
    }
  }
}
