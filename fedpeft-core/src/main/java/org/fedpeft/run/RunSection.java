package org.fedpeft.run;

import java.util.List;
import java.util.Set;
import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.model.ModelChoice;
import org.fedpeft.model.Precision;

/**
 * Config keys of the run itself (top level of the file, {@code model.name} and {@code
 * model.precision}): seed, rounds, the client population and how it is sampled, and the frozen
 * model.
 *
 * @param seed the run seed
 * @param rounds federated rounds, at least 1
 * @param clients clients in the population, at least 1
 * @param clientsPerRound clients sampled each round, from 1 to {@code clients}
 * @param clientSampling {@code fixed} or {@code poisson}
 * @param model bundled model name or a Hugging Face folder
 * @param precision the frozen model's precision setting: fp32, bf16 or auto
 */
public record RunSection(
    long seed,
    int rounds,
    int clients,
    int clientsPerRound,
    String clientSampling,
    String model,
    String precision) {

  static final Set<String> SAMPLINGS = Set.of("fixed", "poisson");

  /** The keys of this section. */
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
                  + " draws fewer than server.min_clients is skipped; with privacy.mode = client"
                  + " every round releases a noisy update, none skipped, even one that draws no"
                  + " client)",
              v -> SAMPLINGS.contains(v),
              "fixed or poisson")
          .key(
              "model.name",
              Type.STRING,
              "all-minilm-l6-v2",
              "the frozen model: bundled name or a Hugging Face folder")
          .key(
              "model.precision",
              Type.STRING,
              Precision.DEFAULT_SETTING,
              "what the frozen model's linear weights and word embeddings are held and multiplied"
                  + " in: fp32; bf16 (bfloat16, half the memory, float32 accumulation; adapters,"
                  + " heads, gradients and optimiser state stay float32); auto: bf16 where the"
                  + " CPU reports avx512_bf16 or amx_bf16, else fp32 (the pick is printed and"
                  + " recorded in manifest.json); a node or client process set to auto follows"
                  + " the server's precision. fp32 is the default because results then do not"
                  + " depend on the machine",
              Precision::isSetting,
              Precision.ALLOWED);

  /** Checks every field against {@link #SCHEMA}, and that {@code clients_per_round <= clients}. */
  public RunSection {
    SCHEMA.require("seed", seed);
    SCHEMA.require("rounds", rounds);
    SCHEMA.require("clients", clients);
    SCHEMA.require("clients_per_round", clientsPerRound);
    SCHEMA.require("client_sampling", clientSampling);
    SCHEMA.require("model.name", model);
    SCHEMA.require("model.precision", precision);
    if (clientsPerRound > clients) {
      throw ConfigException.about(
          List.of("clients_per_round", "clients"),
          "clients_per_round (" + clientsPerRound + ") exceeds clients (" + clients + ")");
    }
  }

  /** Reads the section from resolved values. */
  public static RunSection from(ConfigValues v) {
    return new RunSection(
        v.getLong("seed"),
        v.getInt("rounds"),
        v.getInt("clients"),
        v.getInt("clients_per_round"),
        v.getString("client_sampling"),
        v.getString("model.name"),
        v.getString("model.precision"));
  }

  /** The frozen model and its precision setting. */
  public ModelChoice modelChoice() {
    return new ModelChoice(model, precision);
  }

  /** True for Poisson client sampling. */
  public boolean poissonSampling() {
    return clientSampling.equals("poisson");
  }
}
