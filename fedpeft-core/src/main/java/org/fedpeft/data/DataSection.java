package org.fedpeft.data;

import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;

/**
 * Config keys {@code data.*}: which data a run trains and evaluates on, how much of it, and how it
 * is split across clients.
 *
 * @param task bundled task name (used unless {@code file} is set)
 * @param file the user's training data, JSONL or CSV ("" for none)
 * @param test the user's test data ("" for none); needs {@code file}
 * @param corpus the user's retrieval corpus, JSON Lines with {@code id} and {@code text} ("" for
 *     none); needs {@code file}, whose rows (and {@code test}'s) are then queries with {@code text}
 *     and {@code doc}, and the head's labels are the corpus's document ids
 * @param partition partitioner spec, e.g. {@code dirichlet:0.3} (see {@link Partitioners})
 * @param maxTrain at most this many training examples (0: all)
 * @param maxEval at most this many test examples for the global model, at least 1
 * @param clientHoldout fraction of each client's data held out for its own evaluation, in [0, 1)
 */
public record DataSection(
    String task,
    String file,
    String test,
    String corpus,
    String partition,
    int maxTrain,
    int maxEval,
    double clientHoldout) {

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
          .key("data.task", Type.STRING, "wordnet-noun-topic", "bundled task (unless data.file)")
          .key("data.file", Type.STRING, "", "your training data, JSONL or CSV")
          .key("data.test", Type.STRING, "", "your test data (with data.file)")
          .key(
              "data.corpus",
              Type.STRING,
              "",
              "your retrieval corpus, JSONL with id and text (with data.file, whose rows are then"
                  + " queries with text and doc)")
          .key(
              "data.partition",
              Type.STRING,
              "dirichlet:0.3",
              "how training data is split across clients: " + Partitioners.USAGE)
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
              "in [0, 1)");

  /**
   * Checks every field against {@link #SCHEMA}, and that {@code test} and {@code corpus} come with
   * {@code file}.
   */
  public DataSection {
    SCHEMA.require("data.task", task);
    SCHEMA.require("data.file", file);
    SCHEMA.require("data.test", test);
    SCHEMA.require("data.corpus", corpus);
    SCHEMA.require("data.partition", partition);
    SCHEMA.require("data.max_train", maxTrain);
    SCHEMA.require("data.max_eval", maxEval);
    SCHEMA.require("data.client_holdout", clientHoldout);
    if (!test.isEmpty() && file.isEmpty()) {
      throw new ConfigException("data.test needs data.file");
    }
    if (!corpus.isEmpty() && file.isEmpty()) {
      throw new ConfigException(
          "data.corpus needs data.file: a JSON Lines file of queries with text and doc");
    }
  }

  /** Reads the section from resolved values. */
  public static DataSection from(ConfigValues v) {
    return new DataSection(
        v.getString("data.task"),
        v.getString("data.file"),
        v.getString("data.test"),
        v.getString("data.corpus"),
        v.getString("data.partition"),
        v.getInt("data.max_train"),
        v.getInt("data.max_eval"),
        v.getDouble("data.client_holdout"));
  }
}
