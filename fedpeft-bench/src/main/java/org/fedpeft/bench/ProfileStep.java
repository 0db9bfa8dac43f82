package org.fedpeft.bench;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;

/**
 * Writes libtorch autograd-profiler traces (Chrome trace JSON) of training steps and forward passes
 * of the standard workload; scripts/profile_summary.py sums them per operator.
 *
 * <p>Usage: {@code ProfileStep OUT_DIR [STEPS [SEQ [PRECISION [DROPOUT]]]]}: SEQ 128 (the default)
 * profiles unpadded batches of 16 x 128; a smaller SEQ profiles padded batches of up to SEQ tokens
 * ({@link BenchSupport#shortExamples}); PRECISION {@code fp32} (the default) or {@code bf16}, the
 * frozen base's; DROPOUT LoRA's dropout (0.05, the default; the peer bench's step has 0).
 *
 * <p>The profiler keeps every recorded event in memory, so the resident set grows step by step and
 * the trainer's rule for giving freed memory back ({@code engine.NativeHeap}: trim when the
 * resident set has grown by 15 %) would trim during the profiled steps, which the unprofiled
 * benches do not; after a trim the next step faults its activations' pages back in. So unless
 * {@code -Dfedpeft.trim.every} is given, this class sets it to 0 (no trims). The profiled process
 * still takes page faults that an unprofiled step does not (its heap grows with the event list),
 * and the profile charges them to the first operator writing each fresh buffer, mostly {@code
 * aten::copy_} inside {@code addmm}, which copies the bias into its output (docs/performance.md,
 * "Where the profile's copies come from").
 */
public final class ProfileStep {

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    if (System.getProperty("fedpeft.trim.every") == null) {
      System.setProperty("fedpeft.trim.every", "0");
    }
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    java.nio.file.Files.createDirectories(out);
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    int seq = args.length > 2 ? Integer.parseInt(args[2]) : BenchSupport.SEQ;
    EncodedExamples data =
        seq == BenchSupport.SEQ
            ? BenchSupport.examples(4, 2024)
            : BenchSupport.shortExamples(4, 2024, seq);
    Precision precision =
        args.length > 3 && args[3].equals("bf16") ? Precision.BF16 : Precision.FP32;
    float dropout = args.length > 4 ? Float.parseFloat(args[4]) : 0.05f;
    try (FedpeftTrainer ft = new FedpeftTrainer(pm, dropout, precision);
        TextTokenizer tok = pm.newTokenizer()) {
      SentenceEmbedder embedder = new SentenceEmbedder(ft.encoder, tok, EncoderHooks.NONE);
      for (int i = 0; i < 3; i++) {
        ft.step(FedpeftTrainer.slice(data, i % 4));
        embedder.embedBatch(BenchSupport.batch(data, i % 4));
      }
      JniUtils.startProfile(false, true, false);
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        ft.step(FedpeftTrainer.slice(data, i % 4));
      }
      System.out.printf("train: %.3f s per step%n", (System.nanoTime() - t0) / 1e9 / steps);
      JniUtils.stopProfile(out.resolve("train.json").toString());
      JniUtils.startProfile(false, true, false);
      t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        embedder.embedBatch(BenchSupport.batch(data, i % 4));
      }
      System.out.printf("forward: %.3f s per batch%n", (System.nanoTime() - t0) / 1e9 / steps);
      JniUtils.stopProfile(out.resolve("forward.json").toString());
    }
  }
}
