package org.fedpeft.federation;

import java.util.Objects;

/**
 * The settings every strategy shares.
 *
 * @param minClients the minimum number of valid updates for a round to complete, at least 1; not
 *     applied when the aggregator {@linkplain Aggregator#releasesEveryRound releases every round}
 * @param aggregator how accepted updates combine into targets (default: {@link WeightedMean} by
 *     {@link Weighting#EXAMPLES})
 * @param serverOptimizer how the server moves towards the targets (default: {@link
 *     ServerOptimizer#fedAvg()})
 * @param clientConfig the config each client receives (default: none)
 */
public record StrategyOptions(
    int minClients,
    Aggregator aggregator,
    ServerOptimizer serverOptimizer,
    ClientConfigurer clientConfig) {

  /** Validates the fields, naming the one that is wrong. */
  public StrategyOptions {
    if (minClients < 1) {
      throw new IllegalArgumentException("min_clients must be at least 1, got " + minClients);
    }
    Objects.requireNonNull(aggregator, "aggregator");
    Objects.requireNonNull(serverOptimizer, "serverOptimizer");
    Objects.requireNonNull(clientConfig, "clientConfig");
  }

  /** One client minimum, example-weighted mean, plain FedAvg, no client config. */
  public static StrategyOptions defaults() {
    return new StrategyOptions(
        1, new WeightedMean(Weighting.EXAMPLES), ServerOptimizer.fedAvg(), ClientConfigurer.none());
  }

  /** A copy with another minimum. */
  public StrategyOptions withMinClients(int n) {
    return new StrategyOptions(n, aggregator, serverOptimizer, clientConfig);
  }

  /** A copy with a {@link WeightedMean} of the given weighting. */
  public StrategyOptions withWeighting(Weighting weighting) {
    return withAggregator(new WeightedMean(weighting));
  }

  /** A copy with another aggregator. */
  public StrategyOptions withAggregator(Aggregator a) {
    return new StrategyOptions(minClients, a, serverOptimizer, clientConfig);
  }

  /** A copy with another server optimizer. */
  public StrategyOptions withServerOptimizer(ServerOptimizer o) {
    return new StrategyOptions(minClients, aggregator, o, clientConfig);
  }

  /** A copy with another client config. */
  public StrategyOptions withClientConfig(ClientConfigurer c) {
    return new StrategyOptions(minClients, aggregator, serverOptimizer, c);
  }
}
