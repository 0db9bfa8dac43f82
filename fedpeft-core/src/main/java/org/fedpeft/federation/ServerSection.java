package org.fedpeft.federation;

import java.util.Set;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;

/**
 * Config keys {@code server.*}: the aggregation strategy, the server optimiser and its
 * hyperparameters, aggregation weights, and when a round fails.
 *
 * @param strategy a strategy registered in {@link StrategyRegistry}
 * @param optimizer one of {@link #OPTIMIZERS}
 * @param learningRate server learning rate, positive
 * @param momentum FedAvgM momentum, in [0, 1)
 * @param beta1 FedAdam/FedYogi beta1
 * @param beta2 FedAdam/FedYogi beta2
 * @param tau FedAdam/FedYogi/FedAdagrad adaptivity
 * @param weighting {@code examples} or {@code uniform}
 * @param minClients a round fails if fewer clients succeed, at least 1
 * @param clientTimeoutSeconds a slower client is excluded from the round, positive
 */
public record ServerSection(
    String strategy,
    String optimizer,
    double learningRate,
    double momentum,
    double beta1,
    double beta2,
    double tau,
    String weighting,
    int minClients,
    double clientTimeoutSeconds) {

  /** The server optimisers {@code server.optimizer} accepts. */
  public static final Set<String> OPTIMIZERS =
      Set.of("fedavg", "fedavgm", "fedadam", "fedyogi", "fedadagrad");

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
          .key(
              "server.strategy",
              Type.STRING,
              "fedit",
              "aggregation: a registered strategy (fedpeft ships fedit, ffa-lora, fedex-lora,"
                  + " fedavg)",
              v -> StrategyRegistry.all().containsKey(v),
              "a registered strategy")
          .key(
              "server.optimizer",
              Type.STRING,
              "fedavg",
              "server optimiser: fedavg, fedavgm, fedadam, fedyogi, fedadagrad",
              v -> OPTIMIZERS.contains(v),
              "one of fedavg, fedavgm, fedadam, fedyogi, fedadagrad")
          .key(
              "server.learning_rate",
              Type.DOUBLE,
              1.0,
              "server learning rate",
              v -> (double) v > 0,
              "> 0")
          .key(
              "server.momentum",
              Type.DOUBLE,
              0.9,
              "FedAvgM momentum",
              v -> (double) v >= 0 && (double) v < 1,
              "in [0, 1)")
          .key("server.beta1", Type.DOUBLE, 0.9, "FedAdam/FedYogi beta1")
          .key("server.beta2", Type.DOUBLE, 0.99, "FedAdam/FedYogi beta2")
          .key("server.tau", Type.DOUBLE, 1e-3, "FedAdam/FedYogi/FedAdagrad adaptivity tau")
          .key(
              "server.weighting",
              Type.STRING,
              "examples",
              "aggregation weights: examples or uniform",
              v -> v.equals("examples") || v.equals("uniform"),
              "examples or uniform")
          .key(
              "server.min_clients",
              Type.INT,
              1,
              "a round fails if fewer clients succeed",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "server.client_timeout_seconds",
              Type.DOUBLE,
              3600.0,
              "a client slower than this is excluded from the round",
              v -> (double) v > 0,
              "> 0");

  /** Checks every field against {@link #SCHEMA}. */
  public ServerSection {
    SCHEMA.require("server.strategy", strategy);
    SCHEMA.require("server.optimizer", optimizer);
    SCHEMA.require("server.learning_rate", learningRate);
    SCHEMA.require("server.momentum", momentum);
    SCHEMA.require("server.beta1", beta1);
    SCHEMA.require("server.beta2", beta2);
    SCHEMA.require("server.tau", tau);
    SCHEMA.require("server.weighting", weighting);
    SCHEMA.require("server.min_clients", minClients);
    SCHEMA.require("server.client_timeout_seconds", clientTimeoutSeconds);
  }

  /** Reads the section from resolved values. */
  public static ServerSection from(ConfigValues v) {
    return new ServerSection(
        v.getString("server.strategy"),
        v.getString("server.optimizer"),
        v.getDouble("server.learning_rate"),
        v.getDouble("server.momentum"),
        v.getDouble("server.beta1"),
        v.getDouble("server.beta2"),
        v.getDouble("server.tau"),
        v.getString("server.weighting"),
        v.getInt("server.min_clients"),
        v.getDouble("server.client_timeout_seconds"));
  }
}
