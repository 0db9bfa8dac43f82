package org.fedpeft.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.peft.AdapterTensor;

/**
 * Gradient norms of the task loss on one mini-batch, without updating anything: what a method that
 * selects its trainable parts by gradient (Ravan's gradient head selection) looks at before a
 * round. The mini-batch is the first one {@link LocalTrainer#batchPlan} draws with the seed; the
 * pass runs without dropout.
 */
public final class GradientNorms {

  private GradientNorms() {}

  /**
   * @param model the model, with every tensor at the value training would start from
   * @param data the client's training examples
   * @param batchSize examples in the mini-batch (at most all of them)
   * @param seed draws the mini-batch
   * @param names trainable tensors whose gradient norm to report
   * @return the Frobenius norm of the gradient per name, in the order of {@code names}
   */
  public static Map<String, Double> of(
      ClassifierModel model, EncodedExamples data, int batchSize, long seed, Set<String> names) {
    List<AdapterTensor> params = model.tensors().stream().filter(AdapterTensor::trainable).toList();
    for (String n : names) {
      if (params.stream().noneMatch(t -> t.name().equals(n))) {
        throw new IllegalArgumentException("no trainable tensor named " + n);
      }
    }
    int[] indices =
        LocalTrainer.batchPlan(
            data.size(),
            new TrainConfig(1, batchSize, 1e-3f, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, seed))[
            0];
    Map<String, Double> norms = new LinkedHashMap<>();
    try (NDScope scope = new NDScope();
        NDManager step = model.encoder().manager().newSubManager()) {
      scope.suppressNotUsedWarning();
      LocalTrainer.lossAndGradients(model, data, indices, indices.length, false, step);
      for (String n : names) {
        for (AdapterTensor t : params) {
          if (t.name().equals(n)) {
            // Summed on the heap: an op on the gradient would join the model's long-lived manager.
            double sq = 0;
            for (float v : t.array().getGradient().toFloatArray()) {
              sq += (double) v * v;
            }
            norms.put(n, Math.sqrt(sq));
          }
        }
      }
      LocalTrainer.zeroGradients(params);
    }
    return norms;
  }
}
