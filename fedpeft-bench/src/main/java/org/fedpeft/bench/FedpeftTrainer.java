package org.fedpeft.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.peft.dual.FedDpaAdapter;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;

/**
 * The timed training workload: MiniLM + LoRA r=8 (alpha 16) on query and value + a classification
 * head, AdamW (lr 1e-4, weight decay 0.01, constant schedule), gradient clipping at norm 1, one
 * optimiser step per call on one batch, through the public {@link LocalTrainer} API. The frozen
 * base is float32, or bfloat16 ({@link Precision#BF16}) with the second constructor; the third can
 * put FedDPA in place of the LoRA adapter. The system property {@code ab.targets} (LoRA's {@code
 * targets} option, {@code query+value} when unset) changes the adapted modules, e.g. for an {@link
 * AbBench} side that measures what one target's LoRA costs in the step.
 */
final class FedpeftTrainer implements AutoCloseable {

  static final float LR = 1e-4f;
  static final float WEIGHT_DECAY = 0.01f;
  static final float MAX_GRAD_NORM = 1f;
  static final long SEED = 7;

  final Engine engine;
  final NDManager root;
  final BertEncoder encoder;
  final Adapter lora;
  final ClassificationHead head;
  final AdamW opt;
  final ClassifierModel model;
  final LocalTrainer trainer;
  final TrainConfig config;

  FedpeftTrainer(PretrainedModel pm, float loraDropout) {
    this(pm, loraDropout, Precision.FP32);
  }

  FedpeftTrainer(PretrainedModel pm, float loraDropout, Precision precision) {
    this(pm, loraDropout, precision, "lora");
  }

  /**
   * @param method {@code lora}, or {@code feddpa-local}: FedDPA with two such LoRA adapters, in
   *     FedDPA-T's local phase (the local adapter trained, the global one mixed in as a constant;
   *     the head frozen)
   */
  FedpeftTrainer(PretrainedModel pm, float loraDropout, Precision precision, String method) {
    engine = Engines.pytorch();
    root = engine.newBaseManager();
    encoder = new BertEncoder(pm.weights(), root, precision);
    Map<String, String> options =
        Map.of(
            "rank",
            "8",
            "alpha",
            "16",
            "dropout",
            Float.toString(loraDropout),
            "targets",
            System.getProperty("ab.targets", "query+value"));
    boolean feddpa = method.equals("feddpa-local");
    if (!feddpa && !method.equals("lora")) {
      throw new IllegalArgumentException("method: lora or feddpa-local, not " + method);
    }
    lora = AdapterRegistry.get(feddpa ? "feddpa" : "lora").create(options, encoder, 1);
    head = new ClassificationHead(root, pm.config().hiddenSize(), BenchSupport.LABELS, 2);
    opt = new AdamW(root);
    model = new ClassifierModel(encoder, lora, head);
    if (feddpa) {
      Set<String> local = new LinkedHashSet<>();
      for (AdapterTensor t : lora.tensors()) {
        if (t.trainable() && t.name().startsWith(FedDpaAdapter.LOCAL_MEMBER + "/")) {
          local.add(t.name());
        }
      }
      model.enterPhase(new TrainingPhase(FedDpaAdapter.PHASE_LOCAL, local, false, 1.0));
    }
    trainer = new LocalTrainer(model);
    config =
        new TrainConfig(
            1,
            BenchSupport.BATCH,
            LR,
            WEIGHT_DECAY,
            0,
            TrainConfig.Schedule.CONSTANT,
            MAX_GRAD_NORM,
            SEED);
  }

  /** The order in which {@link #step} visits the examples of its batch. */
  int[] order() {
    return LocalTrainer.batchPlan(BenchSupport.BATCH, config)[0];
  }

  /**
   * One optimiser step on exactly the {@code BATCH} examples given.
   *
   * @return {seconds, loss}
   */
  double[] step(EncodedExamples oneBatch) {
    float[] loss = new float[1];
    TrainListener l = (step, total, lossValue, acc, lr) -> loss[0] = lossValue;
    long t0 = System.nanoTime();
    trainer.train(oneBatch, config, opt, l);
    double s = (System.nanoTime() - t0) / 1e9;
    return new double[] {s, loss[0]};
  }

  /** The examples of batch {@code b} as a data set of its own. */
  static EncodedExamples slice(EncodedExamples data, int b) {
    int n = BenchSupport.BATCH;
    long[][] t = new long[n][];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = data.tokens()[b * n + i];
      y[i] = data.labels()[b * n + i];
    }
    return new EncodedExamples(t, y);
  }

  @Override
  public void close() {
    opt.close();
    head.close();
    lora.close();
    encoder.close();
    root.close();
  }
}
