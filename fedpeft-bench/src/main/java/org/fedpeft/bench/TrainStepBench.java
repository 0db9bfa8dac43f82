package org.fedpeft.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TokenBatch;

/**
 * Foundation benchmark: MiniLM + LoRA r=8 (alpha 16, dropout 0.05) on query/value + head, batch 16
 * x 128 tokens: median training-step time after warm-up, peak RSS (VmHWM), and forward-only
 * embedding throughput (sentences/s at 128 tokens, batch 32); first the CPU ({@link MachineInfo}),
 * last the engine's matrix-product peaks ({@link MatmulPeak}) and the cost of fresh pages ({@link
 * PageTouch}).
 *
 * <p>Usage: {@code TrainStepBench [TIMED_STEPS] [TIMED_FORWARD_BATCHES]}
 */
public final class TrainStepBench {

  public static void main(String[] args) throws Exception {
    int warmup = 5;
    BenchSupport.Args cli =
        BenchSupport.Args.of(args, 0, 2, "TrainStepBench [TIMED_STEPS] [TIMED_FORWARD_BATCHES]");
    int timed = cli.count(0, "TIMED_STEPS", 30);
    int timedFwd = cli.count(1, "TIMED_FORWARD_BATCHES", 20);
    System.out.println(MachineInfo.describe());
    System.out.println("load at start: " + BenchSupport.load());
    System.out.println("OMP_WAIT_POLICY=" + System.getenv("OMP_WAIT_POLICY"));
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    int nBatches = 8;
    EncodedExamples data = BenchSupport.examples(nBatches, 2024);
    List<Double> times = new ArrayList<>();
    List<Double> fwd = new ArrayList<>();
    double hwmTrain;
    try (FedpeftTrainer ft = new FedpeftTrainer(pm, 0.05f);
        TextTokenizer tok = pm.newTokenizer()) {
      for (int i = 0; i < warmup + timed; i++) {
        double[] st;
        try {
          st = ft.step(FedpeftTrainer.slice(data, i % nBatches));
        } catch (IllegalStateException e) {
          throw new IllegalStateException("call " + i + " (batch " + i % nBatches + ")", e);
        }
        if (i >= warmup) {
          times.add(st[0]);
        }
      }
      hwmTrain = BenchSupport.statusMiB("VmHWM");
      System.out.println("load after training steps: " + BenchSupport.load());
      SentenceEmbedder embedder = new SentenceEmbedder(ft.encoder, tok, EncoderHooks.NONE);
      int fwdBatch = 32;
      for (int i = 0; i < 3 + timedFwd; i++) {
        long[][] seqs = new long[fwdBatch][];
        for (int j = 0; j < fwdBatch; j++) {
          seqs[j] = data.tokens()[(i * fwdBatch + j) % data.size()];
        }
        TokenBatch tb = TokenBatch.pad(seqs);
        long t0 = System.nanoTime();
        embedder.embedBatch(tb);
        double s = (System.nanoTime() - t0) / 1e9;
        if (i >= 3) {
          fwd.add(s);
        }
      }
      double trainFlops =
          Flops.trainStep(
              pm.config(),
              BenchSupport.BATCH,
              BenchSupport.SEQ,
              8,
              Set.of("attention.self.query", "attention.self.value"),
              BenchSupport.LABELS);
      double m = BenchSupport.median(times);
      double mf = BenchSupport.median(fwd);
      System.out.println("load at end: " + BenchSupport.load());
      System.out.println("train step samples: " + BenchSupport.list(times));
      System.out.println("forward samples (batch 32): " + BenchSupport.list(fwd));
      System.out.println(
          BenchSupport.fmt(
              "train step (16x128, LoRA r=8 q/v + head, AdamW): %s, %.1f GFLOP/s",
              BenchSupport.summary(times), trainFlops / m / 1e9));
      System.out.println(BenchSupport.fmt("peak RSS after training (VmHWM): %.0f MiB", hwmTrain));
      System.out.println(
          BenchSupport.fmt(
              "forward embedding throughput (batch 32 x 128 tokens): %.1f sentences/s"
                  + " (median %.4f s per batch)",
              fwdBatch / mf, mf));
      System.out.println(
          BenchSupport.fmt("peak RSS at end (VmHWM): %.0f MiB", BenchSupport.statusMiB("VmHWM")));
    }
    // Last, so that its large matrices do not count in the peak RSS figures above.
    for (MatmulPeak.Peak p : MatmulPeak.measureAll(5)) {
      System.out.println(p.line());
    }
    System.out.println(PageTouch.measure(6));
    System.out.println("load after the matmul peaks: " + BenchSupport.load());
  }
}
