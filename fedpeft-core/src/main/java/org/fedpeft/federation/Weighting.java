package org.fedpeft.federation;

/** How much each client's tensors count in a {@link WeightedMean}. */
public enum Weighting {
  /** Every contributing client weighs the same (Ravan's unweighted head mean). */
  UNIFORM,
  /**
   * A client weighs its number of training examples n_c (FedAvg, McMahan et al. 2017, arXiv
   * 1602.05629: {@code sum_c n_c w_c / sum_c n_c}).
   */
  EXAMPLES;

  /** The weight of one update. */
  public double weightOf(ClientUpdate update) {
    return this == UNIFORM ? 1.0 : (double) update.numExamples();
  }
}
