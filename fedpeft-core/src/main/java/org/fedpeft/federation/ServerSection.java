package org.fedpeft.federation;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.config.NearestKeys;

/**
 * Config keys {@code server.*}: the aggregation strategy, the server optimiser and its
 * hyperparameters, aggregation weights, when a round fails, and each registered strategy's own
 * options as {@code server.<strategy>.<option>} (from its {@link StrategyProvider#optionSchema()}).
 *
 * @param strategy a strategy registered in {@link StrategyRegistry}
 * @param optimizer one of {@link #OPTIMIZERS}
 * @param learningRate server learning rate, positive: {@code server.learning_rate}, or when not set
 *     {@link #defaultLearningRate} of the optimiser
 * @param momentum FedAvgM momentum, in [0, 1)
 * @param beta1 FedAdam/FedYogi/FedAdagrad first-moment decay (FedAvgM uses {@code momentum})
 * @param beta2 FedAdam/FedYogi beta2
 * @param tau FedAdam/FedYogi/FedAdagrad adaptivity
 * @param weighting {@code examples} or {@code uniform}
 * @param minClients a round fails if fewer clients succeed, at least 1 (1 with client-level DP
 *     under Poisson sampling, which {@code SimulationConfig} checks)
 * @param clientTimeoutSeconds a slower client is excluded from the round, positive
 * @param strategyOptions the chosen strategy's options by option name, as text (every option of its
 *     schema, defaults included), sorted
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
    double clientTimeoutSeconds,
    Map<String, String> strategyOptions) {

  /** The server optimisers {@code server.optimizer} accepts. */
  public static final Set<String> OPTIMIZERS =
      Set.of("fedavg", "fedavgm", "fedadam", "fedyogi", "fedadagrad");

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      withStrategyOptions(
          new ConfigSchema()
              .key(
                  "server.strategy",
                  Type.STRING,
                  "fedit",
                  "aggregation: a registered strategy (the table \"Aggregation strategies\""
                      + " below)",
                  ServerSection::requireStrategy,
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
                  null,
                  "server learning rate eta; when not set, 1.0 with server.optimizer = fedavg or"
                      + " fedavgm (fedavg with 1 takes the round's aggregate as it is) and 0.01"
                      + " with fedadam, fedyogi or fedadagrad, which move each value by up to"
                      + " about eta a round whatever the size of its update (Reddi et al. 2021"
                      + " tune eta per task: tune it too); a value set is used as given, and the"
                      + " value used is recorded in config.json",
                  v -> (double) v > 0,
                  "> 0")
              .key(
                  "server.momentum",
                  Type.DOUBLE,
                  0.9,
                  "FedAvgM momentum",
                  v -> (double) v >= 0 && (double) v < 1,
                  "in [0, 1)")
              .key("server.beta1", Type.DOUBLE, 0.9, "FedAdam/FedYogi/FedAdagrad beta1")
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
                  "a round fails if fewer clients succeed; must be 1 with privacy.mode = client"
                      + " and client_sampling = poisson, where every round releases a noisy update"
                      + " however many clients are drawn or succeed (none included)",
                  v -> (int) v >= 1,
                  ">= 1")
              .key(
                  "server.client_timeout_seconds",
                  Type.DOUBLE,
                  3600.0,
                  "a client slower than this is excluded from the round",
                  v -> (double) v > 0,
                  "> 0"));

  /** {@code server.learning_rate} when not set with {@code fedavg} or {@code fedavgm}. */
  public static final double DEFAULT_LEARNING_RATE = 1.0;

  /**
   * {@code server.learning_rate} when not set with {@code fedadam}, {@code fedyogi} or {@code
   * fedadagrad}: they move each value by up to about eta a round whatever the size of its update,
   * so at eta = 1 they overshoot (FedBE's loss reached 1e4 in two rounds). The value
   * examples/fedadam-noun-topic.toml uses.
   */
  public static final double ADAPTIVE_DEFAULT_LEARNING_RATE = 1e-2;

  /** The server optimisers that scale each value's step by its own history (Reddi et al.). */
  public static final Set<String> ADAPTIVE_OPTIMIZERS = Set.of("fedadam", "fedyogi", "fedadagrad");

  /** {@code server.learning_rate} when the config does not set it, for {@code optimizer}. */
  public static double defaultLearningRate(String optimizer) {
    return ADAPTIVE_OPTIMIZERS.contains(optimizer)
        ? ADAPTIVE_DEFAULT_LEARNING_RATE
        : DEFAULT_LEARNING_RATE;
  }

  /** The prefix of a strategy's options: {@code server.<strategy>.}. */
  public static String optionPrefix(String strategy) {
    return "server." + strategy + ".";
  }

  /** True for a registered strategy; otherwise throws, naming the registered ones. */
  private static boolean requireStrategy(Object name) {
    Set<String> known = new TreeSet<>(StrategyRegistry.all().keySet());
    if (!known.contains(name)) {
      throw new IllegalArgumentException(
          "not a registered strategy"
              + NearestKeys.didYouMean(String.valueOf(name), known, "\"")
              + "; registered: "
              + String.join(", ", known));
    }
    return true;
  }

  /** Adds {@code server.<strategy>.<option>} for every option of every registered strategy. */
  private static ConfigSchema withStrategyOptions(ConfigSchema schema) {
    for (StrategyProvider p : StrategyRegistry.all().values()) {
      for (ConfigSchema.Key k : p.optionSchema().keys().values()) {
        schema.key(
            optionPrefix(p.name()) + k.name(),
            k.type(),
            k.defaultValue(),
            k.description() + "; used with server.strategy = " + p.name(),
            k.check(),
            k.rule());
      }
    }
    return schema;
  }

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
    strategyOptions = Collections.unmodifiableMap(new TreeMap<>(strategyOptions));
    try {
      StrategyRegistry.get(strategy)
          .optionSchema()
          .readOptions(strategyOptions, "server." + strategy);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /**
   * Reads the section from resolved values. An unset {@code server.learning_rate} takes the
   * optimiser's {@link #defaultLearningRate}. The chosen strategy's options are taken from {@code
   * server.<strategy>.*}; an option of another strategy set to something other than its default is
   * an error naming the key (it would be silently unused).
   */
  public static ServerSection from(ConfigValues v) {
    String strategy = v.getString("server.strategy");
    Map<String, String> options = new TreeMap<>();
    for (StrategyProvider p : StrategyRegistry.all().values()) {
      for (ConfigSchema.Key k : p.optionSchema().keys().values()) {
        String key = optionPrefix(p.name()) + k.name();
        Object value = v.values().get(key);
        if (value == null) {
          continue;
        }
        if (p.name().equals(strategy)) {
          options.put(k.name(), asText(value));
        } else if (!Objects.equals(value, k.defaultValue())) {
          throw v.error(
              key,
              key
                  + " is an option of server.strategy = "
                  + p.name()
                  + ", but server.strategy = "
                  + strategy);
        }
      }
    }
    String optimizer = v.getString("server.optimizer");
    // Not set (no default in the schema): the optimiser's own; a value set is used as given.
    Object learningRate = v.values().get("server.learning_rate");
    return new ServerSection(
        v.getString("server.strategy"),
        optimizer,
        learningRate == null ? defaultLearningRate(optimizer) : (double) learningRate,
        v.getDouble("server.momentum"),
        v.getDouble("server.beta1"),
        v.getDouble("server.beta2"),
        v.getDouble("server.tau"),
        v.getString("server.weighting"),
        v.getInt("server.min_clients"),
        v.getDouble("server.client_timeout_seconds"),
        options);
  }

  private static String asText(Object value) {
    return value instanceof List<?> l
        ? String.join("+", l.stream().map(String::valueOf).toList())
        : String.valueOf(value);
  }
}
