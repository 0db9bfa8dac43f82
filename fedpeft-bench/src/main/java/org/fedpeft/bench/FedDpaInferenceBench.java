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
import org.fedpeft.peft.ClientContext;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;

/**
 * The inference cost of FedDPA's instance-wise dynamic weighting (issue 11) against a plain LoRA
 * forward: MiniLM with LoRA r=8 on query and value and a 25-way head, evaluating the same padded
 * batches of short texts (like WordNet glosses) both ways, alternating batch set by batch set on
 * one shared encoder. FedDPA's k = 5 anchor embeddings are computed once beforehand (cached, as a
 * client does before it evaluates) and their cost is printed apart. Prints the median time of each
 * over the repetitions and their ratio. Usage: FedDpaInferenceBench [REPETITIONS] [BATCHES]
 */
public final class FedDpaInferenceBench {

  private FedDpaInferenceBench() {}

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli =
        BenchSupport.Args.of(args, 0, 2, "FedDpaInferenceBench [REPETITIONS] [BATCHES]");
    int reps = cli.count(0, "REPETITIONS", 10);
    int batches = cli.count(1, "BATCHES", 8);
    int warmup = 2;
    System.out.println(MachineInfo.describe());
    System.out.println("load at start: " + BenchSupport.load());
    Engines.gradModeOffOnThisThread();
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    EncodedExamples data = BenchSupport.shortExamples(batches, 3, 24);
    Map<String, String> lora = Map.of("rank", "8", "alpha", "16", "targets", "query+value");
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        Adapter plain = AdapterRegistry.get("lora").create(lora, enc, 1);
        Adapter dpa =
            AdapterRegistry.get("feddpa")
                .create(
                    Map.of(
                        "rank", "8",
                        "alpha", "16",
                        "targets", "query+value",
                        "variant", "F",
                        "finetune_epochs", "0"),
                    enc,
                    1);
        ClassificationHead h1 =
            new ClassificationHead(root, pm.config().hiddenSize(), BenchSupport.LABELS, 2);
        ClassificationHead h2 =
            new ClassificationHead(root, pm.config().hiddenSize(), BenchSupport.LABELS, 2)) {
      // FedDPA-F with no fine-tuning epochs: the local adapter becomes a copy of the global one and
      // the anchors are embedded, so the weighting path runs exactly as at a client's evaluation.
      long t0 = System.nanoTime();
      dpa.personalise(
          new ClientContext() {
            @Override
            public EncodedExamples trainingData() {
              return data;
            }

            @Override
            public long seed() {
              return 11;
            }

            @Override
            public int batchSize() {
              return BenchSupport.BATCH;
            }

            @Override
            public double train(TrainingPhase phase, int steps) {
              throw new UnsupportedOperationException("the benchmark trains nothing");
            }
          });
      double anchorSeconds = (System.nanoTime() - t0) / 1e9;
      LocalTrainer tPlain = new LocalTrainer(new ClassifierModel(enc, plain, h1));
      LocalTrainer tDpa = new LocalTrainer(new ClassifierModel(enc, dpa, h2));
      List<Double> sPlain = new ArrayList<>();
      List<Double> sDpa = new ArrayList<>();
      for (int i = 0; i < warmup + reps; i++) {
        boolean plainFirst = i % 2 == 0;
        double a = time(plainFirst ? tPlain : tDpa, data);
        double b = time(plainFirst ? tDpa : tPlain, data);
        if (i >= warmup) {
          sPlain.add(plainFirst ? a : b);
          sDpa.add(plainFirst ? b : a);
        }
      }
      System.out.println(
          BenchSupport.fmt(
              "%d texts per repetition, batches of %d, <= 24 tokens",
              data.size(), BenchSupport.BATCH));
      System.out.println("lora r=8 evaluation:          " + BenchSupport.summary(sPlain));
      System.out.println("feddpa, dynamic weighting:    " + BenchSupport.summary(sDpa));
      System.out.println(
          BenchSupport.fmt(
              "feddpa / lora median: %.3f",
              BenchSupport.median(sDpa) / BenchSupport.median(sPlain)));
      System.out.println(
          BenchSupport.fmt(
              "anchor embeddings (k = 5, once per evaluation): %.3f s", anchorSeconds));
      System.out.println("load at end: " + BenchSupport.load());
    }
  }

  private static double time(LocalTrainer t, EncodedExamples data) {
    long t0 = System.nanoTime();
    t.evaluate(data, BenchSupport.BATCH);
    return (System.nanoTime() - t0) / 1e9;
  }
}
