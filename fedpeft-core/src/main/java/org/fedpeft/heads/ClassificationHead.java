package org.fedpeft.heads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.train.PerExampleGradients;

/**
 * A linear classifier on the pooled encoder output: {@code logits = W pooled + b}, W (labels x
 * hidden) drawn from N(0, 0.02^2) as BERT initialises its heads, b = 0. Tensors {@code
 * classifier.weight} and {@code classifier.bias}, trainable and GLOBAL.
 */
public final class ClassificationHead implements AutoCloseable, PerExampleGradients {

  private final NDManager manager;
  private final NDArray weight;
  private final NDArray bias;
  private final List<AdapterTensor> tensors;
  private NDArray perExampleWeight; // (batch, labels, hidden) while in per-example mode
  private NDArray perExampleBias; // (batch, labels)

  public ClassificationHead(NDManager parent, int hidden, int numLabels, long seed) {
    if (numLabels < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 labels, got " + numLabels);
    }
    manager = parent.newSubManager();
    SplittableRandom rng = new SplittableRandom(seed);
    float[] w = new float[numLabels * hidden];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (gaussian(rng) * 0.02);
    }
    weight = manager.create(w, new Shape(numLabels, hidden));
    bias = manager.zeros(new Shape(numLabels));
    weight.setRequiresGradient(true);
    bias.setRequiresGradient(true);
    tensors =
        List.of(
            new AdapterTensor("classifier.weight", Role.GLOBAL, weight),
            new AdapterTensor("classifier.bias", Role.GLOBAL, bias));
  }

  /** A standard normal draw (Box-Muller) from a seeded generator. */
  static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  public int numLabels() {
    return (int) weight.getShape().get(0);
  }

  /**
   * @param pooled (batch, hidden)
   * @return (batch, labels)
   */
  public NDArray logits(NDArray pooled) {
    if (perExampleWeight != null) {
      // (b, labels, hidden) x (b, hidden, 1) -> (b, labels)
      return perExampleWeight.matMul(pooled.expandDims(-1)).squeeze(-1).add(perExampleBias);
    }
    return pooled.getNDArrayInternal().linear(pooled, weight, bias).singletonOrThrow();
  }

  public List<AdapterTensor> tensors() {
    return tensors;
  }

  @Override
  public void beginPerExample(int batchSize) {
    perExampleWeight = weight.expandDims(0).repeat(0, batchSize).duplicate();
    perExampleBias = bias.expandDims(0).repeat(0, batchSize).duplicate();
    perExampleWeight.setRequiresGradient(true);
    perExampleBias.setRequiresGradient(true);
  }

  @Override
  public java.util.Map<String, NDArray> perExampleGradients() {
    return java.util.Map.of(
        "classifier.weight", perExampleWeight.getGradient(),
        "classifier.bias", perExampleBias.getGradient());
  }

  @Override
  public void endPerExample() {
    perExampleWeight = null;
    perExampleBias = null;
  }

  /** Sets the head's tensors from saved values (names {@code classifier.weight}/{@code .bias}). */
  public void loadState(java.util.Map<String, org.fedpeft.tensor.HostTensor> values) {
    org.fedpeft.peft.Adapter.Tensors.load(tensors, values, "classification head");
  }

  @Override
  public void close() {
    manager.close();
  }
}
