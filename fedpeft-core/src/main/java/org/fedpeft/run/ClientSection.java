package org.fedpeft.run;

import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.train.Objective;
import org.fedpeft.train.TrainConfig.FloatRule;

/**
 * Config keys {@code client.*}: how a sampled client trains in a round (AdamW steps, batch size,
 * clipping, FedProx), and how many clients the simulation trains at once.
 *
 * @param localSteps optimiser steps per client per round, at least 1
 * @param batchSize examples per step, at least 1
 * @param parallel clients that train at the same time (0: one per core)
 * @param threads PyTorch intra-op threads per training client (0: cores / parallel clients)
 * @param learningRate AdamW learning rate, positive
 * @param headLearningRate AdamW learning rate of the classification head, positive, or 0 for {@code
 *     learningRate}
 * @param weightDecay AdamW weight decay, at least 0
 * @param maxGradNorm gradient clipping norm (0: off)
 * @param proximalMu FedProx proximal weight mu (0: off)
 * @param budgets each client's compute budget: "" (every client 1), a comma-separated list of
 *     fractions in (0, 1] (one per client, or one for all), or a seeded distribution {@code
 *     uniform}, {@code bell} or {@code skewed} over {1/4, 1/2, 3/4, 1} (see {@link
 *     org.fedpeft.run.Budgets}); a config refuses them unless the adapter method or the strategy
 *     reads them
 * @param objective what local training minimises: {@code classification} (the head's cross-entropy)
 *     or {@code contrastive} (InfoNCE between query and document embeddings on a retrieval task;
 *     the adapter only, evaluated by MIPS)
 * @param temperature tau of the contrastive objective
 */
public record ClientSection(
    int localSteps,
    int batchSize,
    int parallel,
    int threads,
    double learningRate,
    double headLearningRate,
    double weightDecay,
    double maxGradNorm,
    double proximalMu,
    String budgets,
    String objective,
    double temperature) {

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
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
                  + " least 1); with 2 or more, each training batch runs as two halves side by"
                  + " side, each with half the threads",
              v -> (int) v >= 0,
              ">= 0")
          .key(
              "client.learning_rate",
              Type.DOUBLE,
              1e-3,
              "AdamW learning rate",
              v -> FloatRule.POSITIVE.test((double) v),
              FloatRule.POSITIVE.constraint())
          .key(
              "client.head_learning_rate",
              Type.DOUBLE,
              0.0,
              "AdamW learning rate of the classification head (0: client.learning_rate)",
              v -> FloatRule.ZERO_OR_POSITIVE.test((double) v),
              FloatRule.ZERO_OR_POSITIVE.constraint())
          .key(
              "client.weight_decay",
              Type.DOUBLE,
              0.0,
              "AdamW weight decay",
              v -> FloatRule.NON_NEGATIVE.test((double) v),
              FloatRule.NON_NEGATIVE.constraint())
          .key(
              "client.max_grad_norm",
              Type.DOUBLE,
              1.0,
              "gradient clipping norm (0: off); with privacy.mode = sample privacy.sample.clip_norm"
                  + " applies instead, and this key may not be set",
              v -> FloatRule.ZERO_OR_POSITIVE.test((double) v),
              FloatRule.ZERO_OR_POSITIVE.constraint())
          .key(
              "client.proximal_mu",
              Type.DOUBLE,
              0.0,
              "FedProx proximal weight mu (0: off)",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "client.budgets",
              Type.STRING,
              "",
              "each client's compute budget, sent to it as config 'budget' (the share of a"
                  + " method's heads, blocks or LoRA rank it trains): empty (all 1), fractions in (0, 1]"
                  + " (comma-separated, one per client or one for all), or a seeded distribution"
                  + " over 1/4, 1/2, 3/4, 1: uniform (equal shares), bell (10/40/40/10 %), skewed"
                  + " (40/30/20/10 %, most clients low); refused unless adapter.method or"
                  + " server.strategy reads it (fedpeft ships adapter.method = ravan, with more than"
                  + " one head, and server.strategy = hetlora, flexlora, fedbe, the first two with"
                  + " LoRA rank above 1, fedbe with more than one block)",
              v -> org.fedpeft.run.Budgets.isValid((String) v),
              "empty, fractions in (0, 1], uniform, bell or skewed")
          .key(
              "client.objective",
              Type.STRING,
              "classification",
              "what local training minimises: classification (the head's cross-entropy; on a"
                  + " retrieval task, classifier-as-retriever) or contrastive (InfoNCE between each"
                  + " query's and its document's sentence embeddings, in-batch negatives; retrieval"
                  + " tasks only, trains the adapter only, evaluated by MIPS)",
              v -> Objective.NAMES.contains(v),
              "one of " + String.join(", ", Objective.NAMES))
          .key(
              "client.temperature",
              Type.DOUBLE,
              Objective.DEFAULT_TEMPERATURE,
              "temperature tau of the contrastive objective",
              v -> (double) v > 0 && Double.isFinite((double) v),
              "> 0");

  /** Checks every field against {@link #SCHEMA}. */
  public ClientSection {
    SCHEMA.require("client.local_steps", localSteps);
    SCHEMA.require("client.batch_size", batchSize);
    SCHEMA.require("client.parallel", parallel);
    SCHEMA.require("client.threads", threads);
    SCHEMA.require("client.learning_rate", learningRate);
    SCHEMA.require("client.head_learning_rate", headLearningRate);
    SCHEMA.require("client.weight_decay", weightDecay);
    SCHEMA.require("client.max_grad_norm", maxGradNorm);
    SCHEMA.require("client.proximal_mu", proximalMu);
    SCHEMA.require("client.budgets", budgets);
    SCHEMA.require("client.objective", objective);
    SCHEMA.require("client.temperature", temperature);
  }

  /** Reads the section from resolved values. */
  public static ClientSection from(ConfigValues v) {
    return new ClientSection(
        v.getInt("client.local_steps"),
        v.getInt("client.batch_size"),
        v.getInt("client.parallel"),
        v.getInt("client.threads"),
        v.getDouble("client.learning_rate"),
        v.getDouble("client.head_learning_rate"),
        v.getDouble("client.weight_decay"),
        v.getDouble("client.max_grad_norm"),
        v.getDouble("client.proximal_mu"),
        v.getString("client.budgets"),
        v.getString("client.objective"),
        v.getDouble("client.temperature"));
  }

  /** The objective of local training. */
  public Objective trainingObjective() {
    return Objective.parse(objective, temperature);
  }

  /**
   * Clients that train at once: {@code parallel}, or (0) the available cores; at least 1 and at
   * most {@code clientsPerRound}.
   */
  public int parallelClients(int clientsPerRound) {
    int p = parallel == 0 ? Runtime.getRuntime().availableProcessors() : parallel;
    return Math.max(1, Math.min(p, clientsPerRound));
  }

  /**
   * Intra-op threads per client: {@code threads}, or (0) the available cores divided by {@code
   * parallelClients}, at least 1.
   */
  public int threadsPerClient(int parallelClients) {
    return threads > 0
        ? threads
        : Math.max(1, Runtime.getRuntime().availableProcessors() / parallelClients);
  }
}
