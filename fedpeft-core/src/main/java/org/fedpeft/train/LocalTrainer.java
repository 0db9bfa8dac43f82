package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.engine.NativeHeap;
import org.fedpeft.engine.SideBySide;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.random.Seeds;
import org.fedpeft.random.StepRandom;
import org.fedpeft.tensor.HostTensor;

/**
 * Trains the trainable tensors of a {@link ClassifierModel} with AdamW, warm-up and linear or
 * cosine decay, and global gradient-norm clipping, on the head's cross-entropy or, after {@link
 * #setContrastive}, on a contrastive loss (the adapter's tensors only).
 *
 * <p>Each step runs inside an {@link NDScope} and a per-step {@link NDManager}, so every
 * intermediate array is freed when the step ends and memory stays flat. Batch order comes from a
 * generator seeded with {@link TrainConfig#seed()} (a fresh permutation per epoch) and dropout
 * masks from {@link StepRandom}, seeded per step from the same seed, so a run is reproducible.
 * Gradients are recorded per thread ({@link Autograd}), so several trainers on different threads
 * (simulated clients) can train at once. With two or more intra-op threads on the calling thread, a
 * model that allows it ({@link ClassifierModel#concurrentBatches()}) trains each cross-entropy
 * batch as two halves side by side on two threads ({@link #inHalves}); results then depend on the
 * thread count, as PyTorch's own reductions already make them.
 */
public final class LocalTrainer {

  private final ClassifierModel model;
  private float proximalMu;
  private Map<String, HostTensor> proximalReference = Map.of();
  private ContrastiveLoss contrastive;

  public LocalTrainer(ClassifierModel model) {
    this.model = model;
  }

  /**
   * Adds FedProx's proximal term (Li et al. 2020, arXiv 1812.06127) to the loss: {@code mu/2 ||w -
   * w_ref||^2} over the trainable tensors found in {@code reference}, i.e. {@code mu (w - w_ref)}
   * added to their gradients before clipping.
   */
  public void setProximal(float mu, Map<String, HostTensor> reference) {
    if (!(mu >= 0) || !Float.isFinite(mu)) {
      throw new IllegalArgumentException("proximal mu must be >= 0, got " + mu);
    }
    this.proximalMu = mu;
    this.proximalReference = Map.copyOf(reference);
  }

  /**
   * Trains on {@code loss} (InfoNCE between query and document embeddings) instead of the head's
   * cross-entropy from now on; null goes back to cross-entropy. Under the contrastive loss the
   * head's tensors are left out: only the adapter's trainable tensors are updated, and the accuracy
   * a step reports is the in-batch top-1.
   */
  public void setContrastive(ContrastiveLoss loss) {
    this.contrastive = loss;
  }

  /**
   * The tensors this trainer updates: the model's trainable ones, without the head's when the loss
   * is contrastive.
   */
  private List<AdapterTensor> trainedTensors() {
    List<AdapterTensor> all = model.trainableTensors();
    if (contrastive == null) {
      return all;
    }
    java.util.Set<String> head = new java.util.HashSet<>();
    model.head().tensors().forEach(t -> head.add(t.name()));
    List<AdapterTensor> out = all.stream().filter(t -> !head.contains(t.name())).toList();
    if (out.isEmpty()) {
      throw new IllegalStateException(
          "contrastive training updates the adapter's tensors only, and this model has none to"
              + " train (it needs an adapter method)");
    }
    return out;
  }

  /**
   * Each tensor's learning rate at a 0-based step: the tensors of {@code model}'s head {@link
   * TrainConfig#headLearningRateAt}, the others {@link TrainConfig#learningRateAt}.
   */
  public static java.util.function.ToDoubleFunction<AdapterTensor> learningRates(
      ClassifierModel model, TrainConfig config, int step) {
    float lr = config.learningRateAt(step);
    float headLr = config.headLearningRateAt(step);
    if (headLr == lr) {
      return p -> lr;
    }
    java.util.Set<String> head = new java.util.HashSet<>();
    model.head().tensors().forEach(t -> head.add(t.name()));
    return p -> head.contains(p.name()) ? headLr : lr;
  }

  /** The batches of a run: example indices per step, from the seed. */
  public static int[][] batchPlan(int numExamples, TrainConfig config) {
    if (numExamples < 1) {
      throw new IllegalArgumentException("no training examples");
    }
    int bs = Math.min(config.batchSize(), numExamples);
    int[][] plan = new int[config.steps()][];
    int[] perm = null;
    int pos = numExamples;
    int epoch = 0;
    for (int s = 0; s < plan.length; s++) {
      int[] batch = new int[bs];
      for (int i = 0; i < bs; i++) {
        if (pos == numExamples) {
          perm = permutation(numExamples, new SplittableRandom(config.seed()).split(), epoch++);
          pos = 0;
        }
        batch[i] = perm[pos++];
      }
      plan[s] = batch;
    }
    return plan;
  }

  private static int[] permutation(int n, SplittableRandom base, int epoch) {
    SplittableRandom rng =
        new SplittableRandom(base.nextLong() ^ (0x9E3779B97F4A7C15L * (epoch + 1)));
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /**
   * Runs {@link TrainConfig#steps()} optimiser steps.
   *
   * @return the mean training loss over the steps
   * @throws IllegalStateException if the loss becomes NaN or infinite (naming the step)
   */
  public double train(
      EncodedExamples data, TrainConfig config, AdamW optimizer, TrainListener listener) {
    return train(data, config, optimizer, listener, 0);
  }

  /**
   * Runs steps {@code firstStep + 1} to {@link TrainConfig#steps()} of a run, as {@link
   * #train(EncodedExamples, TrainConfig, AdamW, TrainListener)} would run them: the batches, the
   * learning rates and the dropout masks of a step depend only on the seed and the step number, so
   * a run resumed from a checkpoint taken after step {@code firstStep} (the model's tensors and the
   * optimiser's state restored) continues bit-identically.
   *
   * @param firstStep the steps already taken, {@code 0 <= firstStep <= steps}
   * @return the mean training loss over the steps run by this call (NaN if none)
   * @throws IllegalStateException if the loss becomes NaN or infinite (naming the step)
   */
  public double train(
      EncodedExamples data,
      TrainConfig config,
      AdamW optimizer,
      TrainListener listener,
      int firstStep) {
    List<AdapterTensor> params = trainedTensors();
    if (params.isEmpty()) {
      throw new IllegalStateException("the model has no trainable tensors");
    }
    if (firstStep < 0 || firstStep > config.steps()) {
      throw new IllegalArgumentException(
          "first step " + firstStep + " is outside 0.." + config.steps());
    }
    int[][] plan = batchPlan(data.size(), config);
    double lossSum = 0;
    try {
      for (int s = firstStep; s < plan.length; s++) {
        long stepSeed = Seeds.derive(config.seed(), "step", s);
        StepRandom.begin(stepSeed);
        float lr = config.learningRateAt(s);
        float[] lossAcc = step(data, plan[s], params, optimizer, s, config, stepSeed);
        NativeHeap.afterWork();
        if (!Float.isFinite(lossAcc[0])) {
          throw new IllegalStateException(
              DIVERGED + ": loss is " + lossAcc[0] + " at step " + (s + 1));
        }
        lossSum += lossAcc[0];
        listener.onStep(s + 1, plan.length, lossAcc[0], lossAcc[1], lr);
      }
    } finally {
      StepRandom.end();
    }
    return plan.length == firstStep ? Double.NaN : lossSum / (plan.length - firstStep);
  }

  private float[] step(
      EncodedExamples data,
      int[] indices,
      List<AdapterTensor> params,
      AdamW optimizer,
      int stepIndex,
      TrainConfig config,
      long stepSeed) {
    try (NDScope scope = new NDScope();
        NDManager stepManager = model.encoder().manager().newSubManager()) {
      scope.suppressNotUsedWarning();
      float loss;
      float acc;
      if (contrastive != null) {
        try (Autograd.Recording rec = Autograd.record()) {
          ContrastiveLoss.Batch b = contrastive.compute(model, data, indices, stepManager, true);
          rec.backward(b.loss());
          loss = b.loss().getFloat();
          acc = b.accuracy();
        }
      } else if (SideBySide.sideBySide(indices.length) && model.concurrentBatches()) {
        float[] both = inHalves(data, indices, stepSeed);
        loss = both[0];
        acc = both[1];
      } else {
        float[] one = lossAndGradients(model, data, indices, indices.length, true, stepManager);
        loss = one[0];
        acc = one[1];
      }
      if (proximalMu > 0) {
        addProximalGradient(params, stepManager);
      }
      float scale = 1f;
      if (config.maxGradNorm() > 0) {
        double norm = Math.sqrt(gradSquaredNorm(params));
        if (norm > config.maxGradNorm()) {
          scale = (float) (config.maxGradNorm() / (norm + 1e-6));
        }
      }
      optimizer.step(
          params,
          p -> p.array().getGradient(),
          learningRates(model, config, stepIndex),
          config.weightDecay(),
          scale);
      zeroGradients(params);
      return new float[] {loss, acc};
    }
  }

  /**
   * Back-propagates the cross-entropy of {@code model} on the examples {@code indices}, weighted by
   * {@code indices.length / total} (1 for a whole batch), into the trainable tensors' gradients; in
   * training mode (dropout) or not. Its arrays go to {@code manager}.
   *
   * @return {the examples' mean loss, their accuracy}
   */
  static float[] lossAndGradients(
      ClassifierModel model,
      EncodedExamples data,
      int[] indices,
      int total,
      boolean training,
      NDManager manager) {
    TokenBatch batch = data.batch(indices);
    Shape shape = new Shape(batch.batchSize(), batch.seqLen());
    NDArray ids = manager.create(batch.ids(), shape);
    NDArray mask = manager.create(batch.mask(), shape);
    NDArray labels = manager.create(data.labelsOf(indices));
    try (Autograd.Recording rec = Autograd.record()) {
      NDArray logits = model.logits(ids, mask, training, data.tasksOf(indices));
      NDArray lossArr = crossEntropy(logits, labels);
      if (indices.length == total) {
        rec.backward(lossArr);
      } else {
        rec.backward(lossArr.mul(manager.create((float) indices.length / total)));
      }
      return new float[] {lossArr.getFloat(), accuracy(logits, labels)};
    }
  }

  /**
   * One step's loss and gradients with the batch as two halves side by side ({@link SideBySide}),
   * each drawing its dropout masks as its rows of the whole batch's ({@link StepRandom#beginPart}).
   * Each half back-propagates its mean loss times its share of the batch, so the gradients add up
   * to those of the batch's mean loss, up to float rounding; the two additions into each gradient
   * commute, so the result does not depend on which half ends first.
   *
   * @return {the batch's mean loss, its accuracy}
   */
  private float[] inHalves(EncodedExamples data, int[] indices, long stepSeed) {
    int[][] parts = SideBySide.halves(indices);
    // Each half padded to its own longest example; its dropout masks are its rows of the whole
    // batch's, padded to the batch's longest (Dropout, StepRandom.Part).
    int seqLen = data.paddedLength(indices);
    int[] first = {0, parts[0].length};
    SideBySide.Results<float[]> r =
        SideBySide.run(
            k -> {
              StepRandom.beginPart(stepSeed, new StepRandom.Part(first[k], indices.length, seqLen));
              try (NDScope scope = new NDScope();
                  NDManager manager = model.encoder().manager().newSubManager()) {
                scope.suppressNotUsedWarning();
                return lossAndGradients(model, data, parts[k], indices.length, true, manager);
              } finally {
                StepRandom.end();
              }
            });
    int n1 = parts[0].length;
    int n2 = parts[1].length;
    double n = indices.length;
    return new float[] {
      (float) (((double) r.first()[0] * n1 + (double) r.second()[0] * n2) / n),
      (float) (((double) r.first()[1] * n1 + (double) r.second()[1] * n2) / n)
    };
  }

  /**
   * Adds {@code mu (w - w_ref)} to the gradient of every tensor of {@code params} that has a
   * reference ({@link #setProximal}); the rule of {@link org.fedpeft.federation.FedProx}, which
   * states it on host tensors and against which this is tested.
   */
  void addProximalGradient(List<AdapterTensor> params, NDManager stepManager) {
    for (AdapterTensor p : params) {
      HostTensor ref = proximalReference.get(p.name());
      if (ref != null) {
        NDArray w = p.array();
        NDArray r = stepManager.create(ref.data(), new Shape(ref.shape()));
        w.getGradient().addi(w.sub(r).muli(proximalMu));
      }
    }
  }

  /** Mean cross-entropy of logits (batch, labels) against int64 labels (batch). */
  public static NDArray crossEntropy(NDArray logits, NDArray labels) {
    NDArray logp = logits.logSoftmax(-1);
    NDArray oneHot = labels.oneHot((int) logits.getShape().get(1)).toType(DataType.FLOAT32, false);
    return logp.mul(oneHot).sum(new int[] {1}).mean().neg();
  }

  /** Cross-entropy per example (batch) of logits (batch, labels) against int64 labels (batch). */
  static NDArray perExampleCrossEntropy(NDArray logits, NDArray labels) {
    NDArray logp = logits.logSoftmax(-1);
    NDArray oneHot = labels.oneHot((int) logits.getShape().get(1)).toType(DataType.FLOAT32, false);
    return logp.mul(oneHot).sum(new int[] {1}).neg();
  }

  private static float accuracy(NDArray logits, NDArray labels) {
    long[] pred = logits.argMax(-1).toLongArray();
    long[] gold = labels.toLongArray();
    int ok = 0;
    for (int i = 0; i < pred.length; i++) {
      if (pred[i] == gold[i]) {
        ok++;
      }
    }
    return (float) ok / pred.length;
  }

  /**
   * The squared global L2 norm of the gradients: each tensor's sum of squares in float32, summed in
   * double in the tensors' order.
   */
  static double gradSquaredNorm(List<AdapterTensor> params) {
    double s = 0;
    for (float x : ScriptedOptimizerOps.squaredNorms(gradients(params))) {
      s += x;
    }
    return s;
  }

  static void zeroGradients(List<AdapterTensor> params) {
    ScriptedOptimizerOps.zero(gradients(params));
  }

  private static List<NDArray> gradients(List<AdapterTensor> params) {
    List<NDArray> g = new ArrayList<>(params.size());
    for (AdapterTensor p : params) {
      g.add(p.array().getGradient());
    }
    return g;
  }

  /**
   * Padded tokens (sequences x longest sequence) an evaluation batch may hold by default. Without
   * gradients the encoder's intermediates still live until the batch ends, so an evaluation's peak
   * memory grows with the batch's padded size, and simulated clients may evaluate two at a time:
   * fixed batches of 64 sorted by length put the longest sequences together and were the peak of
   * the README main run (docs/benchmarks.md).
   */
  public static final int EVAL_TOKEN_BUDGET = 1024;

  /**
   * The most sequences of an evaluation batch in {@code eval} and in the evaluations of {@code
   * train} and a simulation; {@code predict}'s default, so that it scores texts in the batches
   * {@code eval} scores them in.
   */
  public static final int EVAL_BATCH_SIZE = 64;

  /**
   * How the failure of a client whose loss became NaN or infinite begins ("training diverged: loss
   * is NaN at step 2"); the console's hint for a round every client of which diverged, and the
   * reproduction scripts (fedpeft-bench common.sh), look for it.
   */
  public static final String DIVERGED = "training diverged";

  /**
   * The prefix of a task's accuracy in the evaluation of multi-task data: {@code accuracy.<task>}.
   */
  public static final String TASK_ACCURACY = "accuracy.";

  /** The prefix of a task's mean loss in the evaluation of multi-task data. */
  public static final String TASK_LOSS = "loss.";

  /**
   * Loss and accuracy on examples, in batches of similar length (sorted by token count, so little
   * padding is computed), without dropout or gradients; at most {@code batchSize} sequences and
   * {@link #EVAL_TOKEN_BUDGET} padded tokens per batch.
   */
  public Evaluation evaluate(EncodedExamples data, int batchSize) {
    return evaluate(data, batchSize, EVAL_TOKEN_BUDGET, BatchProgress.NONE, null);
  }

  /**
   * As {@link #evaluate(EncodedExamples, int)}, telling {@code progress} after each batch how many
   * of the examples are evaluated.
   */
  public Evaluation evaluate(EncodedExamples data, int batchSize, BatchProgress progress) {
    return evaluate(data, batchSize, EVAL_TOKEN_BUDGET, progress, null);
  }

  /**
   * As {@link #evaluate(EncodedExamples, int, BatchProgress)}, also handing each example's logits
   * to {@code logits} after its batch (before {@code progress} hears of the batch), so that other
   * metrics of the same logits need no second pass over the examples. The evaluation is the same as
   * without the consumer.
   */
  public Evaluation evaluate(
      EncodedExamples data, int batchSize, BatchProgress progress, LogitsConsumer logits) {
    return evaluate(data, batchSize, EVAL_TOKEN_BUDGET, progress, logits);
  }

  /**
   * As {@link #evaluate(EncodedExamples, int)} with another token budget. Batch composition changes
   * only the padding and the products' shapes, so results differ by float rounding at most.
   *
   * @param tokenBudget the most padded tokens per batch (a single longer sequence still forms a
   *     batch of its own)
   */
  public Evaluation evaluate(EncodedExamples data, int batchSize, int tokenBudget) {
    return evaluate(data, batchSize, tokenBudget, BatchProgress.NONE, null);
  }

  private Evaluation evaluate(
      EncodedExamples data,
      int batchSize,
      int tokenBudget,
      BatchProgress progress,
      LogitsConsumer sink) {
    int n = data.size();
    int parts = model.head().layout().parts().size();
    double[] lossSum = new double[1];
    int[] correct = new int[1];
    double[] taskLoss = new double[parts];
    int[] taskCorrect = new int[parts];
    int[] taskCount = new int[parts];
    scoreInBatches(
        data,
        batchSize,
        tokenBudget,
        progress,
        (idx, logits, stepManager) -> {
          NDArray labels = stepManager.create(data.labelsOf(idx));
          int[] tasks = data.tasksOf(idx);
          if (tasks == null) {
            lossSum[0] += crossEntropy(logits, labels).getFloat() * idx.length;
            correct[0] += Math.round(accuracy(logits, labels) * idx.length);
          } else {
            // Per example, so that each task's loss and accuracy can be reported on their own.
            float[] losses = perExampleCrossEntropy(logits, labels).toFloatArray();
            long[] predicted = logits.argMax(1).toLongArray();
            long[] truth = data.labelsOf(idx);
            for (int i = 0; i < idx.length; i++) {
              boolean right = predicted[i] == truth[i];
              lossSum[0] += losses[i];
              correct[0] += right ? 1 : 0;
              taskLoss[tasks[i]] += losses[i];
              taskCorrect[tasks[i]] += right ? 1 : 0;
              taskCount[tasks[i]]++;
            }
          }
          if (sink != null) {
            handOut(idx, logits, sink);
          }
        });
    Evaluation ev = new Evaluation(lossSum[0] / n, (double) correct[0] / n, n);
    if (data.tasks() == null || !model.head().layout().multiTask()) {
      return ev;
    }
    Map<String, Double> perTask = new LinkedHashMap<>();
    List<String> names = model.head().layout().tasks();
    for (int t = 0; t < parts; t++) {
      if (taskCount[t] > 0) {
        perTask.put(TASK_ACCURACY + names.get(t), (double) taskCorrect[t] / taskCount[t]);
      }
    }
    for (int t = 0; t < parts; t++) {
      if (taskCount[t] > 0) {
        perTask.put(TASK_LOSS + names.get(t), taskLoss[t] / taskCount[t]);
      }
    }
    return ev.withMetrics(perTask);
  }

  /**
   * The logits of texts that have no labels (to predict them): the same forward passes as {@link
   * #evaluate(EncodedExamples, int, BatchProgress)} takes over the same token sequences (its
   * batches, without dropout or gradients), so each text's logits are those the evaluation scores.
   * Every output of a multi-task head is left unmasked: a task's prediction is its own block of the
   * logits, which is what the evaluation's masked logits compare.
   *
   * @param tokens token ids per text (truncated, unpadded)
   * @param batchSize the most texts per batch (and at most {@link #EVAL_TOKEN_BUDGET} padded
   *     tokens)
   * @param progress told after each batch how many of the texts are scored
   * @param sink handed each text's logits after its batch, batch by batch in the batches' order
   *     (texts sorted by token count), before {@code progress} hears of the batch
   */
  public void logits(long[][] tokens, int batchSize, BatchProgress progress, LogitsConsumer sink) {
    // Labels the pass never reads: it only runs the texts' token sequences.
    scoreInBatches(
        new EncodedExamples(tokens, new int[tokens.length]),
        batchSize,
        EVAL_TOKEN_BUDGET,
        progress,
        (idx, logits, stepManager) -> handOut(idx, logits, sink));
  }

  /** What is done with the logits (batch, labels) of one evaluation batch, inside its scope. */
  @FunctionalInterface
  private interface BatchLogits {
    void accept(int[] examples, NDArray logits, NDManager stepManager);
  }

  /** Hands each example's row of {@code logits} (batch, labels) to {@code sink}. */
  private static void handOut(int[] idx, NDArray logits, LogitsConsumer sink) {
    float[] flat = logits.toFloatArray();
    int width = flat.length / idx.length;
    for (int i = 0; i < idx.length; i++) {
      sink.accept(idx[i], Arrays.copyOfRange(flat, i * width, (i + 1) * width));
    }
  }

  /**
   * The one evaluation-mode pass of evaluation and prediction: the sequences in {@link
   * #evaluationBatches}, each batch run through the model without dropout and with recording off,
   * inside a scope that frees its arrays, its logits handed to {@code batch}; then {@code progress}
   * hears how many sequences are done. Each sequence's task (if {@code data} has tasks) masks the
   * other tasks' outputs; the labels are not read.
   */
  private void scoreInBatches(
      EncodedExamples data,
      int batchSize,
      int tokenBudget,
      BatchProgress progress,
      BatchLogits batch) {
    int n = data.size();
    int done = 0;
    for (int[] idx : evaluationBatches(data.tokens(), batchSize, tokenBudget)) {
      try (NDScope scope = new NDScope();
          NDManager stepManager = model.encoder().manager().newSubManager()) {
        scope.suppressNotUsedWarning();
        TokenBatch padded = data.batch(idx);
        int[] batchTasks = data.tasksOf(idx);
        Shape shape = new Shape(padded.batchSize(), padded.seqLen());
        NDArray ids = stepManager.create(padded.ids(), shape);
        NDArray mask = stepManager.create(padded.mask(), shape);
        // Recording off whatever the calling thread was left in: recording changes the
        // attention's operator and so the last bits (Engines.withoutGradients). The whole batch,
        // not SideBySide's halves, so that the scores do not depend on the thread count: a
        // deployed server evaluates on other threads than the simulation it must equal.
        NDArray logits = Engines.withoutGradients(() -> model.logits(ids, mask, false, batchTasks));
        batch.accept(idx, logits, stepManager);
      }
      NativeHeap.afterWork();
      done += idx.length;
      progress.onBatch(done, n);
    }
  }

  /**
   * Example indices per evaluation batch: the examples sorted by token count (stable, so ties keep
   * their order), cut into consecutive batches of at most {@code maxBatch} sequences whose count
   * times their longest sequence is at most {@code tokenBudget} (a sequence longer than the budget
   * forms a batch of its own). Every index appears exactly once.
   */
  static List<int[]> evaluationBatches(long[][] tokens, int maxBatch, int tokenBudget) {
    if (maxBatch < 1 || tokenBudget < 1) {
      throw new IllegalArgumentException(
          "evaluation batch size and token budget must be >= 1, got "
              + maxBatch
              + " and "
              + tokenBudget);
    }
    int n = tokens.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, java.util.Comparator.comparingInt(i -> tokens[i].length));
    List<int[]> out = new ArrayList<>();
    int start = 0;
    while (start < n) {
      int end = start + 1;
      // Sorted ascending, so the batch's longest sequence is its last one.
      while (end < n
          && end - start < maxBatch
          && (long) (end - start + 1) * tokens[order[end]].length <= tokenBudget) {
        end++;
      }
      int[] idx = new int[end - start];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = order[start + i];
      }
      out.add(idx);
      start = end;
    }
    return out;
  }
}
