package org.fedpeft.data;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.io.CommandName;

/**
 * Config keys {@code data.*}: which data a run trains and evaluates on, how much of it, and how it
 * is split across clients.
 *
 * @param task bundled task name (used unless {@code file} is set, or {@code labels} is)
 * @param file the user's training data, JSONL or CSV ("" for none)
 * @param test the user's test data ("" for none); needs {@code file} or {@code labels}
 * @param corpus the user's retrieval corpus, JSON Lines with {@code id} and {@code text} ("" for
 *     none); needs {@code file}, whose rows (and {@code test}'s) are then queries with {@code text}
 *     and {@code doc}, and the head's labels are the corpus's document ids
 * @param partition partitioner spec, e.g. {@code dirichlet:0.3} (see {@link Partitioners})
 * @param maxTrain at most this many training examples (0: all)
 * @param maxEval at most this many test examples for the global model, at least 1
 * @param clientHoldout fraction of each client's data held out for its own evaluation, in [0, 1)
 * @param labels the run's labels in class-index order (empty: the labels found in the data). With
 *     {@code file}, the vocabulary of the data, every example's label being one of them; without
 *     {@code file}, the run's data is held by the clients ({@link #heldByClients()}): the config of
 *     a server whose clients bring their own files
 * @param split how {@code file} becomes the splits: {@code stratified} (a seeded, stratified split
 *     into train, validation and test, or train and validation with {@code test}) or {@code none}
 *     (every example is a training example, in file order, as a client's own file is; the test
 *     split is {@code test}, or none)
 */
public record DataSection(
    String task,
    String file,
    String test,
    String corpus,
    String partition,
    int maxTrain,
    int maxEval,
    double clientHoldout,
    List<String> labels,
    String split) {

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
          .key(
              "data.task",
              Type.STRING,
              "wordnet-noun-topic",
              "bundled task (unless data.file)",
              v -> !Tasks.tasksOf((String) v).isEmpty(),
              "a registered task (see "
                  + CommandName.PLACEHOLDER
                  + " tasks list), or several joined by +")
          .key("data.file", Type.STRING, "", "your training data, JSONL or CSV")
          .key(
              "data.test",
              Type.STRING,
              "",
              "your test data (with data.file, or with data.labels on a server whose clients hold"
                  + " the training data)")
          .key(
              "data.corpus",
              Type.STRING,
              "",
              "your retrieval corpus, JSONL with id and text (with data.file, whose rows are then"
                  + " queries with text and doc)")
          .path("data.file")
          .path("data.test")
          .path("data.corpus")
          .key(
              "data.partition",
              Type.STRING,
              "dirichlet:0.3",
              "how training data is split across clients: " + Partitioners.USAGE,
              v -> Partitioners.parse((String) v) != null,
              "one of these forms")
          .key(
              "data.max_train",
              Type.INT,
              0,
              "use at most this many training examples (0: all; per task when data.task joins several"
                  + " tasks)",
              v -> (int) v >= 0,
              ">= 0")
          .key(
              "data.max_eval",
              Type.INT,
              1000,
              "evaluate the global model on at most this many test examples (per task when data.task"
                  + " joins several tasks)",
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
              "data.labels",
              Type.STRING_LIST,
              List.of(),
              "the run's labels in class order (empty: the labels of the data, sorted). With"
                  + " data.file, its label vocabulary (every example's label must be listed);"
                  + " without data.file, the run's training data is held by the clients: the"
                  + " config of a 'fedpeft server' whose clients bring their own files (client"
                  + " --data), which reads no training data (data.task is then not read)",
              v -> distinctNonBlank((List<?>) v),
              "distinct and non-blank, without surrounding spaces")
          .key(
              "data.split",
              Type.STRING,
              "stratified",
              "how data.file becomes the splits: stratified (seeded and stratified by label:"
                  + " 80/10/10 train/validation/test, or 90/10 train/validation with data.test) or"
                  + " none (every example trains, in file order, as a client's own file does with"
                  + " client --data; the test split is data.test, and without data.test the run is"
                  + " evaluated only on the clients' held-out data)",
              v -> v.equals("stratified") || v.equals("none"),
              "stratified or none");

  /**
   * Checks every field against {@link #SCHEMA}, that {@code test} comes with {@code file} or {@code
   * labels}, that {@code corpus} comes with {@code file} and a stratified split, and that a run
   * without a test split holds out client data to evaluate on.
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
    labels = List.copyOf(labels);
    SCHEMA.require("data.labels", labels);
    SCHEMA.require("data.split", split);
    if (!test.isEmpty() && file.isEmpty() && labels.isEmpty()) {
      throw ConfigException.about(
          List.of("data.test", "data.file", "data.labels"),
          "data.test needs data.file, or data.labels for a server whose clients hold the"
              + " training data");
    }
    if (!corpus.isEmpty() && file.isEmpty()) {
      throw ConfigException.about(
          List.of("data.corpus", "data.file"),
          "data.corpus needs data.file: a JSON Lines file of queries with text and doc");
    }
    if (!corpus.isEmpty() && split.equals("none")) {
      throw ConfigException.about(
          List.of("data.split", "data.corpus"),
          "data.split = \"none\" is for data.file without data.corpus (a retrieval run's queries"
              + " are split by the corpus's own rules)");
    }
    if (clientHoldout == 0 && !hasTestSplit(file, test, labels, split)) {
      throw ConfigException.about(
          List.of("data.client_holdout", "data.split", "data.labels", "data.file", "data.test"),
          "data.client_holdout = 0 leaves nothing to evaluate on: this run has no test split"
              + " (data.split = \"none\" or data.labels without data.file, and no data.test), so"
              + " it is evaluated on the clients' held-out data; set data.client_holdout > 0 or"
              + " give data.test");
    }
  }

  /**
   * True when the run's training data is held by the clients only: {@code data.labels} without
   * {@code data.file}, the config of a server whose clients bring their own files. Such a run reads
   * no training data; its labels are {@code data.labels}.
   */
  public boolean heldByClients() {
    return !labels.isEmpty() && file.isEmpty();
  }

  /**
   * True when the run has a test split for the server's evaluation of the global model: a bundled
   * task, a stratified split of {@code data.file}, or {@code data.test}. Without one the run is
   * evaluated only on the clients' held-out data (federated evaluation).
   */
  public boolean hasTestSplit() {
    return hasTestSplit(file, test, labels, split);
  }

  /**
   * The keys of this section whose value the run does not read, each with the reason: {@code
   * data.task} when {@code data.file} is set (the user's data replaces the bundled task) or the
   * clients hold the data ({@link #heldByClients()}); {@code data.split} without {@code data.file}
   * (it says how that file is split); when the clients hold the data, {@code data.max_train} (the
   * run has no training data to cap; a client's own file is not capped) and {@code data.partition}
   * (the run splits no data over its clients; only a {@code node} splitting its {@code --data} file
   * over the clients it hosts reads it). {@code data.client_holdout} is read in every run (each
   * client holds out that fraction of its data, its own file included), and so is {@code
   * data.max_eval}: in a run without a test split ({@link #hasTestSplit()}) it caps nothing of the
   * run, but the adapter records it, and {@code fedpeft eval} of that adapter caps a test file to
   * it unless given {@code --max-eval}. A run folder's config.json holds every key, these included.
   */
  public Map<String, String> unusedKeys() {
    Map<String, String> unused = new LinkedHashMap<>();
    String clientsHold = "data.labels without data.file: the clients hold the data";
    if (!file.isEmpty()) {
      unused.put("data.task", "data.file is set");
    } else if (heldByClients()) {
      unused.put("data.task", clientsHold);
    }
    if (file.isEmpty()) {
      unused.put("data.split", "no data.file to split");
    }
    if (heldByClients()) {
      unused.put("data.max_train", clientsHold + " (their own files are not capped)");
      unused.put(
          "data.partition",
          clientsHold + " (only a node splitting its --data file over its clients reads it)");
    }
    return unused;
  }

  private static boolean hasTestSplit(String file, String test, List<String> labels, String split) {
    if (!test.isEmpty()) {
      return true;
    }
    if (file.isEmpty()) {
      return labels.isEmpty(); // a bundled task has a test split; clients' data has none
    }
    return split.equals("stratified");
  }

  private static boolean distinctNonBlank(List<?> values) {
    Set<String> seen = new HashSet<>();
    for (Object v : values) {
      String s = String.valueOf(v);
      if (s.isBlank() || !s.equals(s.strip()) || !seen.add(s)) {
        return false;
      }
    }
    return true;
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
        v.getDouble("data.client_holdout"),
        v.getStringList("data.labels"),
        v.getString("data.split"));
  }
}
