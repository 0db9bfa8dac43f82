package org.fedpeft.bench;

import java.util.function.ToDoubleBiFunction;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;

/**
 * One side of {@link AbBench}: a training workload ({@link FedpeftTrainer}, LoRA dropout as given)
 * and a forward workload on fixed batches, built from whichever fedpeft-core its class loader sees.
 * The frozen base's precision is the system property {@code ab.precision} (fp32, the default, or
 * bf16; {@link AbBench} can set it per side); {@code ab.method} picks the adapter ({@code lora},
 * the default, or {@code feddpa-local}: {@link FedpeftTrainer}). It speaks only JDK types, so that
 * {@link AbBench} can drive two of them loaded from two builds.
 *
 * <p>{@code apply("step", i)}: one training step on batch {@code i % 8}, returns seconds; {@code
 * apply("loss", 0)}: the loss of the last step; {@code apply("optimizer", i)}: the seconds of one
 * AdamW update of all trainable tensors (lr 0, mean of 10); {@code apply("forward", i)}: one
 * embedding pass, returns seconds; {@code apply("close", 0)} frees everything.
 */
public final class AbWorker implements ToDoubleBiFunction<String, Integer> {

  private static final int BATCHES = 8;

  private final FedpeftTrainer trainer;
  private final TextTokenizer tokenizer;
  private final SentenceEmbedder embedder;
  private final EncodedExamples data;
  private double lastLoss = Double.NaN;

  /**
   * @param seq tokens per sequence: 128 gives unpadded batches of exactly 128; smaller values give
   *     padded batches of up to {@code seq} tokens ({@link BenchSupport#shortExamples})
   * @param dropout LoRA dropout
   */
  public AbWorker(int seq, float dropout) throws java.io.IOException {
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    data =
        seq == BenchSupport.SEQ
            ? BenchSupport.examples(BATCHES, 2024)
            : BenchSupport.shortExamples(BATCHES, 2024, seq);
    trainer =
        new FedpeftTrainer(
            pm,
            dropout,
            Precision.choose(System.getProperty("ab.precision", "fp32")).precision(),
            System.getProperty("ab.method", "lora"));
    tokenizer = pm.newTokenizer();
    embedder = new SentenceEmbedder(trainer.encoder, tokenizer, EncoderHooks.NONE);
  }

  @Override
  public double applyAsDouble(String what, Integer i) {
    switch (what) {
      case "step":
        double[] r = trainer.step(FedpeftTrainer.slice(data, i % BATCHES));
        lastLoss = r[1];
        return r[0];
      case "optimizer":
        // AdamW alone on the trainable tensors (their gradients exist after a first step)
        var params = trainer.model.trainableTensors();
        long o0 = System.nanoTime();
        for (int k = 0; k < 10; k++) {
          trainer.opt.step(params, 0f, FedpeftTrainer.WEIGHT_DECAY, 0.5f);
        }
        return (System.nanoTime() - o0) / 1e9 / 10;
      case "loss":
        return lastLoss;
      case "forward":
        var tb = BenchSupport.batch(data, i % BATCHES);
        long t0 = System.nanoTime();
        embedder.embedBatch(tb);
        return (System.nanoTime() - t0) / 1e9;
      case "close":
        tokenizer.close();
        trainer.close();
        return 0;
      default:
        throw new IllegalArgumentException(what);
    }
  }
}
