package org.fedpeft.bench;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;

/**
 * Training step time of Ravan against LoRA at equal uploaded parameters: MiniLM with LoRA r=8
 * (alpha 16) on query and value against Ravan with 4 heads of rank 39 (4 x 39^2 = 6,084 vs 8 x (384
 * + 384) = 6,144 parameters per module), both with dropout 0.05 and a 25-way head, AdamW, batches
 * of 16 x 128 tokens. The two alternate step by step on one shared encoder, so the machine's load
 * falls on both alike. Prints the median step time of each and their ratio (the bound:
 * Ravan at most 1.3 times LoRA). Usage: RavanStepBench [TIMED_STEPS_EACH]
 */
public final class RavanStepBench {

  private RavanStepBench() {}

  public static void main(String[] args) throws Exception {
    int timed =
        BenchSupport.Args.of(args, 0, 1, "RavanStepBench [TIMED_STEPS_EACH]")
            .count(0, "TIMED_STEPS_EACH", 20);
    int warmup = 3;
    System.out.println("load at start: " + BenchSupport.load());
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    EncodedExamples data = BenchSupport.examples(8, 5);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        Adapter lora =
            AdapterRegistry.get("lora")
                .create(
                    Map.of("rank", "8", "alpha", "16", "dropout", "0.05", "targets", "query+value"),
                    enc,
                    1);
        Adapter ravan =
            AdapterRegistry.get("ravan")
                .create(
                    Map.of("heads", "4", "rank", "39", "dropout", "0.05", "targets", "query+value"),
                    enc,
                    1);
        ClassificationHead h1 =
            new ClassificationHead(root, pm.config().hiddenSize(), BenchSupport.LABELS, 2);
        ClassificationHead h2 =
            new ClassificationHead(root, pm.config().hiddenSize(), BenchSupport.LABELS, 2);
        AdamW o1 = new AdamW(root);
        AdamW o2 = new AdamW(root)) {
      LocalTrainer tl = new LocalTrainer(new ClassifierModel(enc, lora, h1));
      LocalTrainer tr = new LocalTrainer(new ClassifierModel(enc, ravan, h2));
      TrainConfig cfg =
          new TrainConfig(
              1, BenchSupport.BATCH, 1e-4f, 0.01f, 0, TrainConfig.Schedule.CONSTANT, 1f, 7);
      List<Double> tLora = new ArrayList<>();
      List<Double> tRavan = new ArrayList<>();
      for (int i = 0; i < warmup + timed; i++) {
        EncodedExamples batch = FedpeftTrainer.slice(data, i % 8);
        // Alternate which goes first, so neither always follows the other's memory traffic.
        boolean loraFirst = i % 2 == 0;
        double a = loraFirst ? time(tl, batch, cfg, o1) : time(tr, batch, cfg, o2);
        double b = loraFirst ? time(tr, batch, cfg, o2) : time(tl, batch, cfg, o1);
        if (i >= warmup) {
          tLora.add(loraFirst ? a : b);
          tRavan.add(loraFirst ? b : a);
        }
      }
      System.out.println("lora r=8 step:       " + BenchSupport.summary(tLora));
      System.out.println("ravan 4 x r=39 step: " + BenchSupport.summary(tRavan));
      System.out.println(
          BenchSupport.fmt(
              "ravan / lora median step time: %.3f (bound 1.3)",
              BenchSupport.median(tRavan) / BenchSupport.median(tLora)));
      System.out.println("load at end: " + BenchSupport.load());
    }
  }

  private static double time(LocalTrainer t, EncodedExamples batch, TrainConfig cfg, AdamW opt) {
    long t0 = System.nanoTime();
    t.train(batch, cfg, opt, TrainListener.NONE);
    return (System.nanoTime() - t0) / 1e9;
  }
}
