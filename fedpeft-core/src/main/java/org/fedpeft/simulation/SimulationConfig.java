package org.fedpeft.simulation;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.Toml;

/**
 * The configuration of a simulated federation: every key documented in {@link #SCHEMA}, read from a
 * TOML file and {@code --set KEY=VALUE} overrides. Unknown keys and bad values are rejected with
 * the key named.
 */
public final class SimulationConfig {

  static final Set<String> STRATEGIES = Set.of("fedit", "ffa-lora", "fedex-lora", "fedavg");
  static final Set<String> OPTIMIZERS =
      Set.of("fedavg", "fedavgm", "fedadam", "fedyogi", "fedadagrad");
  static final Set<String> SAMPLINGS = Set.of("fixed", "poisson");
  static final Set<String> PRIVACY_MODES = Set.of("none", "client", "sample");

  /** Every key, its type, default and meaning. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
          .key("seed", Type.LONG, 42L, "the run seed; every random draw derives from it")
          .key("rounds", Type.INT, 20, "federated rounds", v -> (int) v >= 1, ">= 1")
          .key("clients", Type.INT, 20, "clients in the population", v -> (int) v >= 1, ">= 1")
          .key(
              "clients_per_round",
              Type.INT,
              4,
              "clients sampled each round (seeded by seed and round)",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "client_sampling",
              Type.STRING,
              "fixed",
              "fixed: clients_per_round clients each round; poisson: each client joins a round"
                  + " independently with probability clients_per_round / clients (a round that"
                  + " draws fewer than server.min_clients is skipped)",
              v -> SAMPLINGS.contains(v),
              "fixed or poisson")
          .key("data.task", Type.STRING, "wordnet-noun-topic", "bundled task (unless data.file)")
          .key("data.file", Type.STRING, "", "your training data, JSONL or CSV")
          .key("data.test", Type.STRING, "", "your test data (with data.file)")
          .key(
              "data.partition",
              Type.STRING,
              "dirichlet:0.3",
              "how training data is split across clients: iid, dirichlet:ALPHA[,min=N],"
                  + " natural[:client|:task], shards:K")
          .key(
              "data.max_train",
              Type.INT,
              0,
              "use at most this many training examples (0: all)",
              v -> (int) v >= 0,
              ">= 0")
          .key(
              "data.max_eval",
              Type.INT,
              1000,
              "evaluate the global model on at most this many test examples",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "data.client_holdout",
              Type.DOUBLE,
              0.2,
              "fraction of each client's data held out for its own evaluation",
              v -> (double) v >= 0 && (double) v < 1,
              "in [0, 1)")
          .key(
              "model.name",
              Type.STRING,
              "all-minilm-l6-v2",
              "the frozen model: bundled name or a Hugging Face folder")
          .key("adapter.method", Type.STRING, "lora", "adapter method (lora)")
          .open(
              "adapter.",
              "options of the adapter method, e.g. adapter.rank = 8,"
                  + " adapter.targets = [\"query\", \"value\"]")
          .key(
              "client.local_steps",
              Type.INT,
              20,
              "optimiser steps per client per round",
              v -> (int) v >= 1,
              ">= 1")
          .key("client.batch_size", Type.INT, 16, "examples per step", v -> (int) v >= 1, ">= 1")
          .key(
              "client.parallel",
              Type.INT,
              0,
              "clients that train (and evaluate) at the same time, each on its own thread (0: one"
                  + " per core; never more than clients_per_round); with equal client.threads the"
                  + " results do not depend on it",
              v -> (int) v >= 0,
              ">= 0")
          .key(
              "client.threads",
              Type.INT,
              0,
              "PyTorch intra-op threads of each training client (0: cores / client.parallel, at"
                  + " least 1)",
              v -> (int) v >= 0,
              ">= 0")
          .key(
              "client.learning_rate",
              Type.DOUBLE,
              1e-3,
              "AdamW learning rate",
              v -> (double) v > 0,
              "> 0")
          .key(
              "client.weight_decay",
              Type.DOUBLE,
              0.0,
              "AdamW weight decay",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "client.max_grad_norm",
              Type.DOUBLE,
              1.0,
              "gradient clipping norm (0: off)",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "client.proximal_mu",
              Type.DOUBLE,
              0.0,
              "FedProx proximal weight mu (0: off)",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "server.strategy",
              Type.STRING,
              "fedit",
              "aggregation: fedit, ffa-lora, fedex-lora, fedavg",
              v -> STRATEGIES.contains(v),
              "one of fedit, ffa-lora, fedex-lora, fedavg")
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
              "> 0")
          .key(
              "privacy.mode",
              Type.STRING,
              "none",
              "none; client: client-level DP-FedAvg (clip each client's update, fixed"
                  + " denominator clients_per_round, Gaussian noise); sample: DP-SGD at each client"
                  + " (Poisson batches, per-example clipping, noise; an accountant per client)",
              v -> PRIVACY_MODES.contains(v),
              "none, client or sample")
          .key(
              "privacy.client.clip_norm",
              Type.DOUBLE,
              1.0,
              "L2 clip norm C of a client's update (initial value if adaptive)",
              v -> (double) v > 0,
              "> 0")
          .key(
              "privacy.client.noise_multiplier",
              Type.DOUBLE,
              1.0,
              "z: noise std is z C / clients_per_round",
              v -> (double) v >= 0,
              ">= 0")
          .key("privacy.client.adaptive", Type.BOOLEAN, false, "adaptive clipping (Andrew et al.)")
          .key(
              "privacy.client.target_quantile",
              Type.DOUBLE,
              0.5,
              "adaptive clipping: target fraction of unclipped updates",
              v -> (double) v > 0 && (double) v < 1,
              "in (0, 1)")
          .key(
              "privacy.client.clip_learning_rate",
              Type.DOUBLE,
              0.2,
              "adaptive clipping: geometric step of C",
              v -> (double) v > 0,
              "> 0")
          .key(
              "privacy.client.count_noise",
              Type.DOUBLE,
              1.0,
              "adaptive clipping: noise std of the unclipped count (must exceed z / 2)",
              v -> (double) v > 0,
              "> 0")
          .key(
              "privacy.sample.clip_norm",
              Type.DOUBLE,
              1.0,
              "L2 clip norm C of each example's gradient (flat over the trainable tensors)",
              v -> (double) v > 0,
              "> 0")
          .key(
              "privacy.sample.noise_multiplier",
              Type.DOUBLE,
              1.0,
              "sigma: noise std sigma C on each batch's sum of clipped gradients, which is then"
                  + " divided by client.batch_size (the expected batch size)",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "privacy.epsilon",
              Type.DOUBLE,
              0.0,
              "budget: a round that would exceed it is refused before any noise (client mode: the"
                  + " run stops; sample mode: per client, the client declines the round) (0: no"
                  + " budget)",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "privacy.delta",
              Type.DOUBLE,
              1e-5,
              "delta of the reported epsilon",
              v -> (double) v > 0 && (double) v < 1,
              "in (0, 1)")
          .key(
              "privacy.noise",
              Type.STRING,
              "secure",
              "secure (SecureRandom) or seeded (reproducible from the seed; NOT private, the"
                  + " manifest says so)",
              v -> v.equals("secure") || v.equals("seeded"),
              "secure or seeded")
          .key(
              "eval.every",
              Type.INT,
              5,
              "evaluate every N rounds (and after the last)",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "eval.clients",
              Type.INT,
              50,
              "clients whose held-out data is evaluated at each evaluation (0: all)",
              v -> (int) v >= 0,
              ">= 0");

  private final Map<String, Object> values;

  private SimulationConfig(Map<String, Object> values) {
    this.values = values;
    if (clientsPerRound() > clients()) {
      throw new ConfigException(
          "clients_per_round (" + clientsPerRound() + ") exceeds clients (" + clients() + ")");
    }
    if (minClients() > clientsPerRound()) {
      throw new ConfigException(
          "server.min_clients ("
              + minClients()
              + ") exceeds clients_per_round ("
              + clientsPerRound()
              + ")");
    }
    if (!dataTest().isEmpty() && dataFile().isEmpty()) {
      throw new ConfigException("data.test needs data.file");
    }
    if (privacyMode().equals("sample") && proximalMu() > 0) {
      throw new ConfigException(
          "client.proximal_mu ("
              + proximalMu()
              + ") must be 0 with privacy.mode = \"sample\": DP-SGD has no FedProx term");
    }
  }

  /** Reads a TOML file (null: defaults only) and applies overrides. */
  public static SimulationConfig load(Path file, Map<String, String> overrides) throws IOException {
    Map<String, Object> fromFile = file == null ? Map.of() : Toml.read(file);
    return of(fromFile, overrides, file == null ? "defaults" : file.toString());
  }

  /** Builds from already-parsed values. */
  public static SimulationConfig of(
      Map<String, Object> fileValues, Map<String, String> overrides, String source) {
    return new SimulationConfig(SCHEMA.resolve(fileValues, overrides, source));
  }

  /** Restores a config saved with {@link #toJson()} (a checkpoint's). */
  public static SimulationConfig fromJson(String json) {
    Map<String, String> flat = new LinkedHashMap<>();
    JsonObject o = new Gson().fromJson(json, JsonObject.class);
    Map<String, Object> typed = new LinkedHashMap<>();
    for (var e : o.entrySet()) {
      if (e.getValue().isJsonArray()) {
        typed.put(
            e.getKey(),
            e.getValue().getAsJsonArray().asList().stream().map(x -> x.getAsString()).toList());
      } else {
        flat.put(e.getKey(), e.getValue().getAsString());
      }
    }
    return of(typed, flat, "checkpoint config");
  }

  /** Every resolved value as a JSON object (the run manifest's config). */
  public String toJson() {
    return new Gson().toJson(values);
  }

  /** All resolved values, sorted by key. */
  public Map<String, Object> values() {
    return values;
  }

  public long seed() {
    return (Long) values.get("seed");
  }

  public int rounds() {
    return (Integer) values.get("rounds");
  }

  public int clients() {
    return (Integer) values.get("clients");
  }

  public int clientsPerRound() {
    return (Integer) values.get("clients_per_round");
  }

  /** {@code fixed} or {@code poisson}. */
  public String clientSampling() {
    return (String) values.get("client_sampling");
  }

  /** True for Poisson client sampling. */
  public boolean poissonSampling() {
    return clientSampling().equals("poisson");
  }

  /** Clients that train at once: client.parallel, or (0) the cores; at most clients_per_round. */
  public int parallelClients() {
    int p = (Integer) values.get("client.parallel");
    if (p == 0) {
      p = Runtime.getRuntime().availableProcessors();
    }
    return Math.max(1, Math.min(p, clientsPerRound()));
  }

  /** Intra-op threads per client: client.threads, or (0) cores / parallel clients, at least 1. */
  public int threadsPerClient() {
    int t = (Integer) values.get("client.threads");
    return t > 0 ? t : Math.max(1, Runtime.getRuntime().availableProcessors() / parallelClients());
  }

  public String task() {
    return (String) values.get("data.task");
  }

  public String dataFile() {
    return (String) values.get("data.file");
  }

  public String dataTest() {
    return (String) values.get("data.test");
  }

  public String partition() {
    return (String) values.get("data.partition");
  }

  public int maxTrain() {
    return (Integer) values.get("data.max_train");
  }

  public int maxEval() {
    return (Integer) values.get("data.max_eval");
  }

  public double clientHoldout() {
    return (Double) values.get("data.client_holdout");
  }

  public String model() {
    return (String) values.get("model.name");
  }

  public String adapterMethod() {
    return (String) values.get("adapter.method");
  }

  /** The adapter method's options: every {@code adapter.*} key but {@code adapter.method}. */
  public Map<String, String> adapterOptions() {
    Map<String, String> m = new TreeMap<>();
    for (var e : values.entrySet()) {
      if (e.getKey().startsWith("adapter.") && !e.getKey().equals("adapter.method")) {
        m.put(e.getKey().substring("adapter.".length()), (String) e.getValue());
      }
    }
    return m;
  }

  public int localSteps() {
    return (Integer) values.get("client.local_steps");
  }

  public int batchSize() {
    return (Integer) values.get("client.batch_size");
  }

  public double learningRate() {
    return (Double) values.get("client.learning_rate");
  }

  public double weightDecay() {
    return (Double) values.get("client.weight_decay");
  }

  public double maxGradNorm() {
    return (Double) values.get("client.max_grad_norm");
  }

  public double proximalMu() {
    return (Double) values.get("client.proximal_mu");
  }

  public String strategy() {
    return (String) values.get("server.strategy");
  }

  public String serverOptimizer() {
    return (String) values.get("server.optimizer");
  }

  public double serverLearningRate() {
    return (Double) values.get("server.learning_rate");
  }

  public double serverMomentum() {
    return (Double) values.get("server.momentum");
  }

  public double serverBeta1() {
    return (Double) values.get("server.beta1");
  }

  public double serverBeta2() {
    return (Double) values.get("server.beta2");
  }

  public double serverTau() {
    return (Double) values.get("server.tau");
  }

  public String weighting() {
    return (String) values.get("server.weighting");
  }

  public int minClients() {
    return (Integer) values.get("server.min_clients");
  }

  public double clientTimeoutSeconds() {
    return (Double) values.get("server.client_timeout_seconds");
  }

  public String privacyMode() {
    return (String) values.get("privacy.mode");
  }

  public double dpClipNorm() {
    return (Double) values.get("privacy.client.clip_norm");
  }

  public double dpNoiseMultiplier() {
    return (Double) values.get("privacy.client.noise_multiplier");
  }

  public boolean dpAdaptive() {
    return (Boolean) values.get("privacy.client.adaptive");
  }

  public double dpTargetQuantile() {
    return (Double) values.get("privacy.client.target_quantile");
  }

  public double dpClipLearningRate() {
    return (Double) values.get("privacy.client.clip_learning_rate");
  }

  public double dpCountNoise() {
    return (Double) values.get("privacy.client.count_noise");
  }

  public double sampleClipNorm() {
    return (Double) values.get("privacy.sample.clip_norm");
  }

  public double sampleNoiseMultiplier() {
    return (Double) values.get("privacy.sample.noise_multiplier");
  }

  public double privacyEpsilon() {
    return (Double) values.get("privacy.epsilon");
  }

  public double privacyDelta() {
    return (Double) values.get("privacy.delta");
  }

  public String privacyNoise() {
    return (String) values.get("privacy.noise");
  }

  public int evalEvery() {
    return (Integer) values.get("eval.every");
  }

  public int evalClients() {
    return (Integer) values.get("eval.clients");
  }

  /** The keys that must not change on resume (everything: a resumed run is the same run). */
  public List<String> keys() {
    return List.copyOf(values.keySet());
  }
}
