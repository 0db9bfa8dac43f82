package org.fedpeft.federation;

/**
 * FedAvg over whatever GLOBAL tensors clients send (McMahan et al. 2017, "Communication-Efficient
 * Learning of Deep Networks from Decentralized Data", arXiv 1602.05629): each tensor becomes the
 * weighted mean of the clients that sent it, {@code sum_c n_c w_c / sum_c n_c}. With a {@link
 * ServerOptimizer} other than plain FedAvg it becomes FedAvgM, FedAdagrad, FedAdam or FedYogi
 * (Reddi et al. 2021). It suits any adapter whose GLOBAL tensors are averaged as they are (heads
 * included).
 */
public final class FedAvg extends AbstractStrategy {

  /** FedAvg with the given options. */
  public FedAvg(StrategyOptions options) {
    super("fedavg", options);
  }
}
