package org.fedpeft.bench;

import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;

/**
 * Would simulated clients run faster two at a time, one thread each, than one at a time with two
 * threads? Measures the training step (MiniLM + LoRA r=8 q/v + head, batch 16) with 1 and with 2
 * intra-op threads, alternating, at a short length (the WordNet glosses of the README main run) and
 * at 128 tokens. With perfect separation, two single-thread clients finish two steps in T1, one
 * two-thread client in 2 T2: running clients in parallel pays only if {@code T1 < 2 T2}.
 *
 * <p>Usage: {@code ThreadScaling [ROUNDS] [SEQ...]} (default 10 rounds, lengths 32 and 128).
 */
public final class ThreadScaling {

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli =
        BenchSupport.Args.of(args, 0, Integer.MAX_VALUE, "ThreadScaling [ROUNDS] [SEQ...]");
    int rounds = cli.count(0, "ROUNDS", 10);
    List<Integer> lengths = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      lengths.add(cli.count(i, "SEQ", 0, 2));
    }
    if (lengths.isEmpty()) {
      lengths = List.of(32, 128);
    }
    System.out.println("load at start: " + BenchSupport.load());
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    try (FedpeftTrainer ft = new FedpeftTrainer(pm, 0.05f)) {
      int threadsBefore = JniUtils.getNumThreads();
      for (int seq : lengths) {
        List<EncodedExamples> batches = new ArrayList<>();
        for (int b = 0; b < 4; b++) {
          batches.add(BenchSupport.examples(1, 7 + b, seq));
        }
        List<Double> one = new ArrayList<>();
        List<Double> two = new ArrayList<>();
        for (int r = 0; r < rounds + 1; r++) {
          for (int threads : r % 2 == 0 ? new int[] {1, 2} : new int[] {2, 1}) {
            Engines.intraOpThreads(threads);
            for (int s = 0; s < 3; s++) {
              double t = ft.step(batches.get((r + s) % batches.size()))[0];
              if (r > 0) { // round 0 warms up
                (threads == 1 ? one : two).add(t);
              }
            }
          }
        }
        double t1 = BenchSupport.median(one);
        double t2 = BenchSupport.median(two);
        System.out.println(
            BenchSupport.fmt(
                "16 x %d tokens: 1 thread %.4f s, 2 threads %.4f s per step; speed-up of 2 threads"
                    + " %.2fx; two 1-thread clients in parallel vs one 2-thread client: %.2fx"
                    + " throughput",
                seq, t1, t2, t1 / t2, 2 * t2 / t1));
      }
      Engines.intraOpThreads(threadsBefore);
    }
    System.out.println("load at end: " + BenchSupport.load());
  }
}
