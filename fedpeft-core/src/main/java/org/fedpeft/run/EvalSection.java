package org.fedpeft.run;

import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.data.Tasks;
import org.fedpeft.eval.Retention;
import org.fedpeft.io.CommandName;

/**
 * Config keys {@code eval.*}: how often the global model is evaluated and on how many clients'
 * held-out data, the target accuracy for {@code rounds_to_target}, and whether (and on how much
 * data) the run ends by measuring retention ({@link Retention}).
 *
 * @param every evaluate every this many rounds (and after the last), at least 1
 * @param clients clients evaluated each time (0: all)
 * @param targetAccuracy the test accuracy whose first evaluated round summary.json reports as
 *     {@code rounds_to_target}; 0: off
 * @param retention whether the run ends by measuring retention
 * @param retentionTask the nearest-centroid task of retention
 * @param retentionDocuments corpus documents of the retrieval part
 * @param retentionQueries at most this many retrieval queries
 * @param retentionTrain at most this many train examples for the centroids
 * @param retentionTest at most this many test examples of the nearest-centroid part
 * @param retentionSeed the seed of the retention data
 */
public record EvalSection(
    int every,
    int clients,
    double targetAccuracy,
    boolean retention,
    String retentionTask,
    int retentionDocuments,
    int retentionQueries,
    int retentionTrain,
    int retentionTest,
    long retentionSeed) {

  /** Texts per forward pass when measuring retention. */
  static final int RETENTION_BATCH = 64;

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
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
              ">= 0")
          .key(
              "eval.target_accuracy",
              Type.DOUBLE,
              0.0,
              "summary.json's rounds_to_target is the first evaluated round whose global test"
                  + " accuracy reaches this (null if none; resolution: eval.every); 0: off",
              v -> (double) v >= 0 && (double) v <= 1,
              "in [0, 1]")
          .key(
              "eval.retention",
              Type.BOOLEAN,
              false,
              "after the last round, measure retention of the base model's general ability"
                  + " (embeddings only, no head; base model vs trained adapter): top-1"
                  + " nearest-neighbour retrieval on "
                  + Retention.RETRIEVAL_TASK
                  + " and nearest-centroid accuracy on eval.retention_task; summary.json"
                  + " retention")
          .key(
              "eval.retention_task",
              Type.STRING,
              Retention.DEFAULT_CENTROID_TASK,
              "retention: the nearest-centroid task (one the fine-tuning never saw)",
              v -> isSingleTask((String) v),
              "one known task (" + CommandName.PLACEHOLDER + " tasks list)")
          .key(
              "eval.retention_documents",
              Type.INT,
              500,
              "retention: corpus documents of " + Retention.RETRIEVAL_TASK,
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "eval.retention_queries",
              Type.INT,
              500,
              "retention: at most this many retrieval queries (its test split, stratified)",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "eval.retention_train",
              Type.INT,
              1000,
              "retention: at most this many train examples (stratified) give the centroids",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "eval.retention_test",
              Type.INT,
              500,
              "retention: at most this many test examples (stratified) of the nearest-centroid"
                  + " task",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "eval.retention_seed",
              Type.LONG,
              42L,
              "retention: seed of its data (the same texts for every run with this seed)");

  /** Checks every field against {@link #SCHEMA}. */
  public EvalSection {
    SCHEMA.require("eval.every", every);
    SCHEMA.require("eval.clients", clients);
    SCHEMA.require("eval.target_accuracy", targetAccuracy);
    SCHEMA.require("eval.retention_task", retentionTask);
    SCHEMA.require("eval.retention_documents", retentionDocuments);
    SCHEMA.require("eval.retention_queries", retentionQueries);
    SCHEMA.require("eval.retention_train", retentionTrain);
    SCHEMA.require("eval.retention_test", retentionTest);
  }

  /** Reads the section from resolved values. */
  public static EvalSection from(ConfigValues v) {
    return new EvalSection(
        v.getInt("eval.every"),
        v.getInt("eval.clients"),
        v.getDouble("eval.target_accuracy"),
        v.getBoolean("eval.retention"),
        v.getString("eval.retention_task"),
        v.getInt("eval.retention_documents"),
        v.getInt("eval.retention_queries"),
        v.getInt("eval.retention_train"),
        v.getInt("eval.retention_test"),
        v.getLong("eval.retention_seed"));
  }

  /** What {@link Retention} measures on, from the {@code eval.retention_*} keys. */
  public Retention.Settings retentionSettings() {
    return new Retention.Settings(
        retentionTask,
        retentionDocuments,
        retentionQueries,
        retentionTrain,
        retentionTest,
        retentionSeed,
        RETENTION_BATCH);
  }

  private static boolean isSingleTask(String spec) {
    try {
      return Tasks.tasksOf(spec).size() == 1;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
