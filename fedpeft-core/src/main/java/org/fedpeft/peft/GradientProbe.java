package org.fedpeft.peft;

import java.util.Map;
import java.util.Set;

/**
 * Gradients on one mini-batch of the client's own data before it trains, for methods that choose
 * what to train by gradient (Ravan's gradient head selection). Provided by the client.
 */
@FunctionalInterface
public interface GradientProbe {

  /**
   * The Frobenius norm of the task loss's gradient with respect to each named tensor, on one
   * mini-batch drawn with the round's seed. Nothing is updated.
   *
   * @param tensors names of trainable adapter tensors
   * @return the norm per name
   */
  Map<String, Double> gradientNorms(Set<String> tensors);

  /** A probe for callers that have no data; it refuses. */
  GradientProbe NONE =
      tensors -> {
        throw new UnsupportedOperationException("no data to probe gradients with");
      };
}
