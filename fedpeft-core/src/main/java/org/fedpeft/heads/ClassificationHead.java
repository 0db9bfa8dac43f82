package org.fedpeft.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.PerExampleGradients;
import org.fedpeft.peft.Role;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;

/**
 * A linear classifier on the pooled encoder output: {@code logits = W pooled + b}, W (labels x
 * hidden) drawn from N(0, 0.02^2) as BERT initialises its heads, b = 0. Tensors {@code
 * classifier.weight} and {@code classifier.bias}, trainable and GLOBAL.
 *
 * <p>With a multi-task {@link HeadLayout}, one such head per task ({@code classifier.<task>.weight}
 * and {@code .bias}, the weight drawn from the seed derived for the task's name). The logits are
 * the tasks' blocks side by side; given each example's task, the other tasks' blocks are set to
 * {@value #MASKED}, so the softmax, the loss and the arg-max of an example see its own task's
 * labels only (exp of the masked entries is exactly 0 in float32, so their tensors get exactly zero
 * gradient).
 */
public final class ClassificationHead implements AutoCloseable, PerExampleGradients {

  /** The logit of another task's output. */
  public static final float MASKED = -1e9f;

  private final NDManager manager;
  private final HeadLayout layout;
  private final List<NDArray> weights = new ArrayList<>();
  private final List<NDArray> biases = new ArrayList<>();
  private final List<AdapterTensor> tensors = new ArrayList<>();
  private int perExampleBatch; // the batch size while in per-example mode, else 0
  private NDArray perExampleInput; // (batch, hidden): the pooled input of the per-example pass
  private NDArray perExampleProbe; // (batch, labels), zero: its gradient is each example's dL/dz

  /** A single-task head with {@code numLabels} outputs. */
  public ClassificationHead(NDManager parent, int hidden, int numLabels, long seed) {
    this(parent, hidden, HeadLayout.single(requireTwo(numLabels)), seed);
  }

  /**
   * A head of any layout. A single-task head draws its weight from {@code seed}; each task of a
   * multi-task head from {@code Seeds.derive(seed, "head", Seeds.key(task))}.
   */
  public ClassificationHead(NDManager parent, int hidden, HeadLayout layout, long seed) {
    if (!layout.multiTask()) {
      requireTwo(layout.total());
    }
    this.layout = layout;
    manager = parent.newSubManager();
    for (int i = 0; i < layout.parts().size(); i++) {
      HeadLayout.Part part = layout.parts().get(i);
      long s = layout.multiTask() ? Seeds.derive(seed, "head", Seeds.key(part.task())) : seed;
      SeededRandom rng = new SeededRandom(s);
      float[] w = new float[part.labels() * hidden];
      for (int k = 0; k < w.length; k++) {
        w[k] = (float) (gaussian(rng) * 0.02);
      }
      NDArray weight = manager.create(w, new Shape(part.labels(), hidden));
      NDArray bias = manager.zeros(new Shape(part.labels()));
      weight.setRequiresGradient(true);
      bias.setRequiresGradient(true);
      weights.add(weight);
      biases.add(bias);
      tensors.add(new AdapterTensor(layout.weightName(i), Role.GLOBAL, weight));
      tensors.add(new AdapterTensor(layout.biasName(i), Role.GLOBAL, bias));
    }
  }

  private static int requireTwo(int numLabels) {
    if (numLabels < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 labels, got " + numLabels);
    }
    return numLabels;
  }

  /**
   * A standard normal draw by Box-Muller from two uniforms of {@code rng} (whose stream is that of
   * {@code java.util.SplittableRandom} of the same seed, which the heads drew from before), with
   * {@link Math}'s log and cos as always: not {@link SeededRandom#nextGaussian()}, whose polar
   * method gives other numbers, so a head keeps the initial weights of earlier runs.
   */
  private static double gaussian(SeededRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** The outputs' layout. */
  public HeadLayout layout() {
    return layout;
  }

  /** All outputs (every task's block). */
  public int numLabels() {
    return layout.total();
  }

  /**
   * @param pooled (batch, hidden)
   * @return (batch, labels), every task's block unmasked
   */
  public NDArray logits(NDArray pooled) {
    return logits(pooled, null);
  }

  /**
   * @param pooled (batch, hidden)
   * @param tasks each example's task (its part of the layout), or null to leave every block
   *     unmasked; ignored by a single-task head
   * @return (batch, labels)
   */
  public NDArray logits(NDArray pooled, int[] tasks) {
    NDArray out;
    if (perExampleBatch > 0) {
      // The shared tensors detached, plus a zero leaf whose gradient is each example's gradient
      // of the logits: the per-example gradients of W and b follow from it and the input.
      if (perExampleProbe != null || pooled.getShape().get(0) != perExampleBatch) {
        throw new IllegalStateException(
            "per-example mode takes one forward pass of the batch of " + perExampleBatch);
      }
      perExampleInput = pooled;
      perExampleProbe = pooled.getManager().zeros(new Shape(perExampleBatch, layout.total()));
      perExampleProbe.setRequiresGradient(true);
      out =
          pooled
              .getNDArrayInternal()
              .linear(pooled, weight().stopGradient(), bias().stopGradient())
              .singletonOrThrow()
              .add(perExampleProbe);
    } else {
      out = pooled.getNDArrayInternal().linear(pooled, weight(), bias()).singletonOrThrow();
    }
    if (tasks == null || !layout.multiTask()) {
      return out;
    }
    if (tasks.length != pooled.getShape().get(0)) {
      throw new IllegalArgumentException(
          tasks.length + " task indices for a batch of " + pooled.getShape().get(0));
    }
    int total = layout.total();
    float[] bias = new float[tasks.length * total];
    java.util.Arrays.fill(bias, MASKED);
    for (int b = 0; b < tasks.length; b++) {
      int from = layout.offset(tasks[b]);
      int to = from + layout.parts().get(tasks[b]).labels();
      java.util.Arrays.fill(bias, b * total + from, b * total + to, 0f);
    }
    return out.add(pooled.getManager().create(bias, new Shape(tasks.length, total)));
  }

  /**
   * The softmax of one example's logits (of a head's outputs, or of one task's block of them):
   * {@code p_i = exp(z_i - max z) / sum_j exp(z_j - max z)}, computed in double and rounded to
   * float. What {@code fedpeft predict} prints as a label's probability and classifier-as-retriever
   * as a document's score.
   */
  public static float[] probabilities(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] e = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      e[i] = Math.exp(logits[i] - max);
      sum += e[i];
    }
    float[] p = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      p[i] = (float) (e[i] / sum);
    }
    return p;
  }

  /** Every task's weight, stacked in output order. */
  private NDArray weight() {
    return weights.size() == 1 ? weights.get(0) : NDArrays.concat(new NDList(weights), 0);
  }

  private NDArray bias() {
    return biases.size() == 1 ? biases.get(0) : NDArrays.concat(new NDList(biases), 0);
  }

  /** Every tensor, task by task (weight, then bias). */
  public List<AdapterTensor> tensors() {
    return java.util.Collections.unmodifiableList(tensors);
  }

  /** The tensors of the given tasks (parts of the layout). */
  public List<AdapterTensor> tensorsOf(java.util.Set<Integer> parts) {
    List<AdapterTensor> out = new ArrayList<>();
    for (int i = 0; i < layout.parts().size(); i++) {
      if (parts.contains(i)) {
        out.add(tensors.get(2 * i));
        out.add(tensors.get(2 * i + 1));
      }
    }
    return out;
  }

  @Override
  public void beginPerExample(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("per-example batch size must be positive: " + batchSize);
    }
    perExampleBatch = batchSize;
    perExampleInput = null;
    perExampleProbe = null;
  }

  /**
   * The factored per-example gradients: example {@code i}'s gradient of part {@code p}'s weight is
   * {@code u_i v_i^T} with {@code u_i} its gradient of the part's logits and {@code v_i} its pooled
   * input, and of the bias {@code u_i}. DP-SGD clips and sums them without forming the (batch,
   * labels, hidden) array.
   */
  @Override
  public Map<String, Clippable> clippable() {
    NDArray u = logitGradients();
    NDArray v = perExampleInput.stopGradient();
    Map<String, Clippable> out = new LinkedHashMap<>();
    for (int i = 0; i < layout.parts().size(); i++) {
      NDArray ui = partColumns(u, i);
      out.put(layout.weightName(i), Clippable.outer(ui, v));
      out.put(layout.biasName(i), Clippable.of(ui));
    }
    return out;
  }

  @Override
  public Map<String, NDArray> perExampleGradients() {
    NDArray u = logitGradients();
    NDArray v = perExampleInput.stopGradient();
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int i = 0; i < layout.parts().size(); i++) {
      NDArray ui = partColumns(u, i);
      out.put(layout.weightName(i), ui.expandDims(2).mul(v.expandDims(1)));
      out.put(layout.biasName(i), ui);
    }
    return out;
  }

  /** After the per-example backward: each example's gradient of the logits, (batch, labels). */
  private NDArray logitGradients() {
    if (perExampleProbe == null) {
      throw new IllegalStateException("no per-example forward pass has run");
    }
    return perExampleProbe.getGradient();
  }

  /** Part {@code i}'s columns of a (batch, labels) array. */
  private NDArray partColumns(NDArray a, int i) {
    if (weights.size() == 1) {
      return a;
    }
    int from = layout.offset(i);
    return a.get(new NDIndex(":, " + from + ":" + (from + layout.parts().get(i).labels())));
  }

  @Override
  public void endPerExample() {
    perExampleBatch = 0;
    perExampleInput = null;
    perExampleProbe = null;
  }

  /** Sets the head's tensors from saved values (names as {@link #tensors()}). */
  public void loadState(Map<String, org.fedpeft.tensor.HostTensor> values) {
    org.fedpeft.peft.Adapter.Tensors.load(tensors, values, "classification head");
  }

  @Override
  public void close() {
    manager.close();
  }
}
