package org.fedpeft.privacy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.fedpeft.engine.NativeHeap;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.PerExampleGradients;
import org.fedpeft.random.Seeds;
import org.fedpeft.random.StepRandom;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.Autograd;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;

/**
 * Sample-level DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy", arXiv
 * 1607.00133) for any adapter: each step draws a Poisson batch (every example independently with
 * rate q = L / N), computes per-example gradients of the trainable tensors, clips each example's
 * gradient (flat over all trainable tensors) to L2 norm C, sums, adds N(0, (sigma C)^2) per
 * coordinate, divides by the expected batch size L and hands the result to AdamW. The accountant is
 * charged with (q, sigma) per step BEFORE the step's noise is drawn; a step that would exceed the
 * budget ends training.
 *
 * <p>Per-example gradients come from one batched pass when the adapter and head implement {@link
 * PerExampleGradients} (LoRA and the classification head do), otherwise from a loop over single
 * examples.
 */
public final class DpSgd {

  /**
   * @param clipNorm C
   * @param noiseMultiplier sigma
   * @param expectedBatchSize L (q = L / N)
   */
  public record Config(double clipNorm, double noiseMultiplier, int expectedBatchSize) {
    /** Validates every field, naming the one that is wrong. */
    public Config {
      if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
        throw new IllegalArgumentException("dp clip_norm must be positive, got " + clipNorm);
      }
      if (!(noiseMultiplier >= 0) || !Double.isFinite(noiseMultiplier)) {
        throw new IllegalArgumentException(
            "dp noise_multiplier must be >= 0, got " + noiseMultiplier);
      }
      if (expectedBatchSize < 1) {
        throw new IllegalArgumentException(
            "dp expected batch size must be at least 1, got " + expectedBatchSize);
      }
    }

    /** The Poisson sampling rate of a batch from {@code n} examples: min(1, L / n). */
    public double sampleRate(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("DP-SGD needs at least one example, got " + n);
      }
      return Math.min(1.0, (double) expectedBatchSize / n);
    }
  }

  private final ClassifierModel model;
  private final Config config;
  private final GaussianNoise noise;

  public DpSgd(ClassifierModel model, Config config, GaussianNoise noise) {
    this.model = model;
    this.config = config;
    this.noise = noise;
  }

  /** Whether the model's adapter and head can give per-example gradients in one pass. */
  public boolean hasFastPath() {
    return model.head() instanceof PerExampleGradients
        && (model.adapter() == null || model.adapter() instanceof PerExampleGradients);
  }

  /**
   * Runs {@code config.steps()} DP-SGD steps (fewer if the budget runs out).
   *
   * @return the number of steps taken
   */
  public int train(
      EncodedExamples data,
      TrainConfig train,
      AdamW optimizer,
      PrivacyBudget budget,
      TrainListener listener) {
    return train(data, train, optimizer, budget, listener, 0);
  }

  /**
   * Runs steps {@code firstStep + 1} onwards of a run whose first {@code firstStep} steps were
   * taken before (a resume from a checkpoint: the model, the optimiser and the budget's accountant
   * restored to their state after step {@code firstStep}). The Poisson batches are those of the
   * uninterrupted run (the sampler's draws for the earlier steps are replayed); the noise is fresh,
   * so the result is a valid DP-SGD run but not bit-identical to an uninterrupted one unless the
   * noise source is seeded per step.
   *
   * @return the number of steps taken in all, counting the {@code firstStep} earlier ones
   */
  public int train(
      EncodedExamples data,
      TrainConfig train,
      AdamW optimizer,
      PrivacyBudget budget,
      TrainListener listener,
      int firstStep) {
    int n = data.size();
    double q = config.sampleRate(n);
    if (firstStep < 0 || firstStep > train.steps()) {
      throw new IllegalArgumentException(
          "first step " + firstStep + " is outside 0.." + train.steps());
    }
    SplittableRandom sampler = new SplittableRandom(train.seed());
    for (long i = 0; i < (long) firstStep * n; i++) {
      sampler.nextDouble();
    }
    List<AdapterTensor> params = model.trainableTensors();
    try {
      for (int s = firstStep; s < train.steps(); s++) {
        if (!budget.canCharge(q, config.noiseMultiplier(), 1)) {
          return s;
        }
        List<Integer> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if (sampler.nextDouble() < q) {
            batch.add(i);
          }
        }
        int[] idx = batch.stream().mapToInt(Integer::intValue).toArray();
        StepRandom.begin(Seeds.derive(train.seed(), "step", s));
        budget.charge(q, config.noiseMultiplier(), 1);
        float lr = train.learningRateAt(s);
        try (NDScope scope = new NDScope();
            NDManager step = model.encoder().manager().newSubManager()) {
          scope.suppressNotUsedWarning();
          Map<String, NDArray> grads = noisyGradient(data, idx, step, config.expectedBatchSize());
          optimizer.step(
              params,
              p -> grads.get(p.name()),
              LocalTrainer.learningRates(model, train, s),
              train.weightDecay(),
              1f);
        }
        NativeHeap.afterWork();
        listener.onStep(s + 1, train.steps(), Float.NaN, Float.NaN, lr);
      }
      return train.steps();
    } finally {
      StepRandom.end();
    }
  }

  /**
   * The privatised gradient of one batch: per-example gradients clipped to C, summed, plus N(0,
   * (sigma C)^2) noise, divided by {@code divisor}. Arrays live in {@code step}.
   */
  public Map<String, NDArray> noisyGradient(
      EncodedExamples data, int[] idx, NDManager step, double divisor) {
    List<AdapterTensor> params = model.trainableTensors();
    Map<String, NDArray> sums = new LinkedHashMap<>();
    if (idx.length > 0) {
      Map<String, PerExampleGradients.Clippable> perExample = new LinkedHashMap<>();
      if (hasFastPath()) {
        perExample.putAll(batchedPass(data, idx, step, PerExampleGradients::clippable));
      } else {
        perExampleLoop(data, idx, step)
            .forEach((k, g) -> perExample.put(k, PerExampleGradients.Clippable.of(g)));
      }
      // Per-example flat L2 norms over every trainable tensor: (batch).
      NDArray sq = null;
      for (AdapterTensor p : params) {
        NDArray s = perExample.get(p.name()).squaredNorms();
        sq = sq == null ? s : sq.add(s);
      }
      NDArray norms = sq.sqrt();
      NDArray factors = norms.add(1e-12f).pow(-1f).mul((float) config.clipNorm()).minimum(1f);
      for (AdapterTensor p : params) {
        sums.put(p.name(), perExample.get(p.name()).weightedSum(factors));
      }
    }
    Map<String, NDArray> out = new LinkedHashMap<>();
    double std = config.noiseMultiplier() * config.clipNorm();
    for (AdapterTensor p : params) {
      Shape shape = p.array().getShape();
      float[] z = new float[Math.toIntExact(shape.size())];
      if (std > 0) {
        noise.fill(z, std);
      }
      NDArray noisy = step.create(z, shape);
      NDArray s = sums.get(p.name());
      out.put(p.name(), (s == null ? noisy : s.add(noisy)).div((float) divisor));
    }
    return out;
  }

  /** Per-example gradients in one batched pass; (batch, ...) per tensor. */
  Map<String, NDArray> perExampleFast(EncodedExamples data, int[] idx, NDManager step) {
    return batchedPass(data, idx, step, PerExampleGradients::perExampleGradients);
  }

  /**
   * One batched forward and backward pass in per-example mode (the fast path); {@code collect}
   * reads each module's per-example gradients (arrays of {@code step}) before the mode ends.
   */
  private <T> Map<String, T> batchedPass(
      EncodedExamples data,
      int[] idx,
      NDManager step,
      Function<PerExampleGradients, Map<String, T>> collect) {
    List<PerExampleGradients> modules = new ArrayList<>();
    if (model.adapter() != null) {
      modules.add((PerExampleGradients) model.adapter());
    }
    modules.add((PerExampleGradients) model.head());
    try {
      modules.forEach(m -> m.beginPerExample(idx.length));
      try (Autograd.Recording rec = Autograd.record()) {
        rec.backward(sumLoss(data, idx, step));
      }
      Map<String, T> g = new LinkedHashMap<>();
      modules.forEach(m -> g.putAll(collect.apply(m)));
      return g;
    } finally {
      modules.forEach(PerExampleGradients::endPerExample);
    }
  }

  /** Per-example gradients by a loop over single examples (the reference path). */
  public Map<String, NDArray> perExampleLoop(EncodedExamples data, int[] idx, NDManager step) {
    List<AdapterTensor> params = model.trainableTensors();
    Map<String, List<NDArray>> rows = new LinkedHashMap<>();
    for (int i : idx) {
      try (Autograd.Recording rec = Autograd.record()) {
        rec.backward(sumLoss(data, new int[] {i}, step));
      }
      for (AdapterTensor p : params) {
        NDArray g = p.array().getGradient();
        rows.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(g.duplicate());
        g.subi(g);
      }
    }
    Map<String, NDArray> out = new LinkedHashMap<>();
    rows.forEach((k, v) -> out.put(k, NDArrays.stack(new NDList(v))));
    return out;
  }

  private NDArray sumLoss(EncodedExamples data, int[] idx, NDManager step) {
    TokenBatch b = data.batch(idx);
    Shape shape = new Shape(b.batchSize(), b.seqLen());
    NDArray logits =
        model.logits(
            step.create(b.ids(), shape), step.create(b.mask(), shape), true, data.tasksOf(idx));
    // The factor as a tensor of the step (alive until the step ends), not mul(int): see
    // LoraAdapter's scalingArray.
    return LocalTrainer.crossEntropy(logits, step.create(data.labelsOf(idx)))
        .mul(step.create((float) idx.length));
  }

  /** Heap copies, for tests and inspection. */
  public static Map<String, HostTensor> toHost(Map<String, NDArray> arrays) {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    arrays.forEach((k, v) -> m.put(k, Adapter.Tensors.toHost(v)));
    return m;
  }
}
