package org.fedpeft.bench;

import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 *
 * <p>With {@code -Dprofile.perf=CTL_FIFO,ACK_FIFO} it writes no trace: it drives a {@code perf
 * record -D -1 --control fifo:CTL_FIFO,ACK_FIFO} that runs it (scripts/perf_profile.sh), enabling
 * the sampling for the timed steps of one phase only, {@code -Dprofile.perf.phase=train} (the
 * default) or {@code forward}; so the samples come from untraced steps, without the profiler's own
 * cost.
 */
public final class ProfileStep {

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli =
        BenchSupport.Args.of(args, 1, 5, "ProfileStep OUT_DIR [STEPS [SEQ [PRECISION [DROPOUT]]]]");
    Path out = Path.of(args[0]);
    int steps = cli.count(1, "STEPS", 3);
    int seq = cli.count(2, "SEQ", BenchSupport.SEQ, 2);
    Precision precision =
        cli.choice(3, "PRECISION", "fp32", "fp32", "bf16").equals("bf16")
            ? Precision.BF16
            : Precision.FP32;
    float dropout = cli.fraction(4, "DROPOUT", 0.05f);
    System.out.println(MachineInfo.describe());
    if (System.getProperty("fedpeft.trim.every") == null) {
      System.setProperty("fedpeft.trim.every", "0");
    }
    Files.createDirectories(out);
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    EncodedExamples data =
        seq == BenchSupport.SEQ
            ? BenchSupport.examples(4, 2024)
            : BenchSupport.shortExamples(4, 2024, seq);
    try (FedpeftTrainer ft = new FedpeftTrainer(pm, dropout, precision);
        TextTokenizer tok = pm.newTokenizer()) {
      SentenceEmbedder embedder = new SentenceEmbedder(ft.encoder, tok, EncoderHooks.NONE);
      for (int i = 0; i < 3; i++) {
        ft.step(FedpeftTrainer.slice(data, i % 4));
        embedder.embedBatch(BenchSupport.batch(data, i % 4));
      }
      Sampler sampler = Sampler.fromProperties();
      sampler.start("train");
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        ft.step(FedpeftTrainer.slice(data, i % 4));
      }
      System.out.printf("train: %.3f s per step%n", (System.nanoTime() - t0) / 1e9 / steps);
      sampler.stop("train", out);
      sampler.start("forward");
      t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        embedder.embedBatch(BenchSupport.batch(data, i % 4));
      }
      System.out.printf("forward: %.3f s per batch%n", (System.nanoTime() - t0) / 1e9 / steps);
      sampler.stop("forward", out);
    }
  }

  /**
   * What records a phase: libtorch's profiler (a trace per phase), or a controlling {@code perf
   * record} enabled for one phase.
   */
  private static final class Sampler {
    private final String[] fifos; // null: libtorch's profiler
    private final String phase;

    private Sampler(String[] fifos, String phase) {
      this.fifos = fifos;
      this.phase = phase;
    }

    static Sampler fromProperties() {
      String perf = System.getProperty("profile.perf");
      String phase = System.getProperty("profile.perf.phase", "train");
      if (perf == null) {
        return new Sampler(null, phase);
      }
      String[] fifos = perf.split(",", -1);
      if (fifos.length != 2 || !(phase.equals("train") || phase.equals("forward"))) {
        throw new IllegalArgumentException(
            "profile.perf: CTL_FIFO,ACK_FIFO, and profile.perf.phase: train or forward");
      }
      return new Sampler(fifos, phase);
    }

    void start(String name) throws IOException {
      if (fifos == null) {
        JniUtils.startProfile(false, true, false);
      } else if (name.equals(phase)) {
        command("enable");
      }
    }

    void stop(String name, Path out) throws IOException {
      if (fifos == null) {
        JniUtils.stopProfile(out.resolve(name + ".json").toString());
      } else if (name.equals(phase)) {
        command("disable");
      }
    }

    /** Sends {@code perf record} a control command and waits for its acknowledgement. */
    private void command(String word) throws IOException {
      try (OutputStream ctl = Files.newOutputStream(Path.of(fifos[0]))) {
        ctl.write((word + "\n").getBytes(StandardCharsets.US_ASCII));
      }
      try (InputStream ack = Files.newInputStream(Path.of(fifos[1]))) {
        byte[] reply = new byte[16];
        if (ack.read(reply) <= 0) {
          throw new IOException("perf record did not acknowledge '" + word + "'");
        }
      }
    }
  }
}
