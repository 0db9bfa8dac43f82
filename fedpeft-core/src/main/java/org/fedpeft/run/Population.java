package org.fedpeft.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.client.ClientData;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.DataSection;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.LabelCheck;
import org.fedpeft.data.NaturalPartitioner;
import org.fedpeft.data.PartitionStats;
import org.fedpeft.data.Partitioner;
import org.fedpeft.data.Partitioners;
import org.fedpeft.data.Splits;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSource;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.io.Words;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;
import org.fedpeft.retrieval.Corpus;
import org.fedpeft.train.FrozenBase;

/**
 * The clients of a run and their data: the task's splits, the partition of the training split over
 * {@code clients} clients (seeded), each client's held-out share, and the test split the server
 * evaluates on. Client ids are {@code client-<i>}, zero-padded to the width of the largest index.
 *
 * <p>A server whose clients bring their own data ({@link DataSection#heldByClients()}: {@code
 * data.labels} without {@code data.file}) has a population that knows only the clients' ids and the
 * run's labels ({@link #knowsClientData()} is false): every client's data is empty here, and the
 * test split is {@code data.test}'s, or empty. A run without a test split ({@link #hasTestSet()}
 * false) is evaluated on the clients' held-out data only.
 */
public final class Population {

  /** The name of the task of a run whose training data is held by the clients. */
  public static final String CLIENTS_DATA = "clients' own data";

  /**
   * Ends the refusal of a test label that the training data lacks, in a run without {@code
   * data.labels}: listing the label there is what makes it a class of the run.
   */
  static final String DATA_LABELS_HINT =
      "to evaluate it as a class that no training example has, list the run's labels in"
          + " data.labels";

  /**
   * Ends the refusal of an example whose label {@code data.labels} does not list ({@link
   * LabelCheck#listed(Dataset, List, String, String)}, which names its file, line and label and the
   * listed labels): the two ways out.
   */
  static final String UNLISTED_HINT =
      "add the label to data.labels (a class of the run), or remove or relabel the example";

  private final TaskSplits splits;
  private final List<ClientData> clients;
  private final int[][] labelHistogram;
  private final EncodedExamples testSet;
  private final EncodedExamples documents;
  private final double[] budgets;
  private final boolean knowsClientData;
  private final List<String> groups;

  private Population(
      TaskSplits splits,
      List<ClientData> clients,
      int[][] labelHistogram,
      EncodedExamples test,
      EncodedExamples documents,
      double[] budgets,
      boolean knowsClientData,
      List<String> groups) {
    this.splits = splits;
    this.clients = Collections.unmodifiableList(clients);
    this.labelHistogram = labelHistogram;
    this.testSet = test;
    this.documents = documents;
    this.budgets = budgets;
    this.knowsClientData = knowsClientData;
    this.groups = groups;
  }

  /**
   * Under a natural partition, the data's value (a {@code client} or {@code task} field) whose
   * examples client {@code index} holds; null under any other partition.
   */
  public String group(int index) {
    return groups == null ? null : groups.get(index);
  }

  /**
   * Loads the task's splits (no model needed), for checks before the model loads. With {@code
   * data.corpus}, the data files hold queries for that corpus ({@link Corpus#splits}): the splits
   * carry the corpus, so the run is a retrieval run whose head scores the corpus's documents.
   *
   * <p>With {@code data.labels}, the splits' vocabulary is that list, in that order; without {@code
   * data.file} it is a run whose clients hold the training data ({@link #heldByClients}). With
   * {@code data.split = "none"}, {@code data.file} is the training split as it is ({@link #whole}).
   *
   * @throws org.fedpeft.data.DataFormatException naming file and line of a malformed corpus or
   *     query file (a duplicate id, an empty text, a query's document not in the corpus), or of an
   *     example whose label {@code data.labels} does not list
   * @throws IllegalArgumentException naming the key of a data file that does not exist
   */
  public static TaskSplits loadSplits(SimulationConfig config) throws IOException {
    return load(config).splits();
  }

  /**
   * The splits of a run ({@link #loadSplits}) and the label order in which its {@code data.test}
   * was capped to {@code data.max_eval}.
   *
   * @param splits the run's splits
   * @param testCapOrder the labels in the order {@code data.test} was capped in, when that is not
   *     the order of {@code splits.labels()}: a run with {@code data.labels} whose test file {@link
   *     TaskSource#load} capped in the training data's own vocabulary; null otherwise
   */
  public record Loaded(TaskSplits splits, List<String> testCapOrder) {}

  /**
   * Loads the splits as {@link #loadSplits}, with the label order its test file was capped in.
   *
   * @throws org.fedpeft.data.DataFormatException as {@link #loadSplits}
   * @throws IllegalArgumentException as {@link #loadSplits}
   */
  public static Loaded load(SimulationConfig config) throws IOException {
    DataSection d = config.data();
    requireFile("data.file", d.file());
    requireFile("data.test", d.test());
    requireFile("data.corpus", d.corpus());
    if (d.heldByClients()) {
      if (config.objective().contrastive()) {
        throw new IllegalArgumentException(
            "client.objective = \"contrastive\" needs a retrieval task's corpus, and a run whose"
                + " clients hold the data (data.labels without data.file) is a classification"
                + " run: use client.objective = \"classification\"");
      }
      return new Loaded(heldByClients(d, config.seed()), null);
    }
    if (!d.labels().isEmpty() && (d.file().isEmpty() || !d.corpus().isEmpty())) {
      throw new IllegalArgumentException(
          "data.labels lists the labels of your own data (data.file without data.corpus); a"
              + " retrieval corpus's labels are its document ids");
    }
    if (!d.file().isEmpty() && d.split().equals("none")) {
      return new Loaded(whole(d, config.seed()), null);
    }
    TaskOptions topts =
        TaskOptions.defaults()
            .withMaxTrain(config.maxTrain() == 0 ? TaskOptions.NO_CAP : config.maxTrain())
            .withMaxValidation(1)
            .withMaxTest(config.maxEval());
    if (!config.dataCorpus().isEmpty()) {
      return new Loaded(
          Corpus.read(Path.of(config.dataCorpus()))
              .splits(
                  Path.of(config.dataFile()),
                  config.dataTest().isEmpty() ? null : Path.of(config.dataTest()),
                  topts,
                  config.seed()),
          null);
    }
    TaskSplits splits =
        TaskSource.load(
            config.task(),
            config.dataFile().isEmpty() ? null : Path.of(config.dataFile()),
            config.dataTest().isEmpty() ? null : Path.of(config.dataTest()),
            new TaskSource.Labels(
                d.labels(), LabelCheck.RUN_LABELS, true, DATA_LABELS_HINT, UNLISTED_HINT),
            topts,
            config.seed());
    if (d.labels().isEmpty()) {
      return new Loaded(splits, null);
    }
    List<String> labels = d.labels();
    // TaskSource.load capped data.test in the splits' own vocabulary, not always data.labels'.
    List<String> testCapOrder =
        d.test().isEmpty() || splits.labels().equals(labels) ? null : splits.labels();
    Dataset train = LabelCheck.listed(splits.train(), labels, LabelCheck.RUN_LABELS, UNLISTED_HINT);
    Dataset validation =
        LabelCheck.listed(splits.validation(), labels, LabelCheck.RUN_LABELS, UNLISTED_HINT);
    Dataset test = LabelCheck.listed(splits.test(), labels, LabelCheck.RUN_LABELS, UNLISTED_HINT);
    return new Loaded(
        d.test().isEmpty()
            ? new TaskSplits(splits.task(), train, validation, test, null)
            : TaskSplits.testApart(splits.task(), train, validation, test, null),
        testCapOrder);
  }

  /**
   * {@code data.split = "none"}: every example of {@code data.file} is a training example, in file
   * order (capped by {@code data.max_train}, keeping file order), as a client's own file is under
   * {@code client --data}; no validation split; the test split is {@code data.test}'s ({@link
   * #testFile}), or empty.
   */
  private static TaskSplits whole(DataSection d, long seed) throws IOException {
    Dataset all = DataFiles.read(Path.of(d.file()));
    List<String> labels = d.labels().isEmpty() ? all.labels() : d.labels();
    all = LabelCheck.listed(all, labels, LabelCheck.RUN_LABELS, UNLISTED_HINT);
    if (d.maxTrain() > 0 && d.maxTrain() < all.size()) {
      all = Splits.capStratified(all, d.maxTrain(), seed);
    }
    String name = all.name();
    return TaskSplits.testApart(
        name,
        all,
        Dataset.of(name + "/validation", List.of(), labels),
        testFile(d, labels, seed, name),
        null);
  }

  /**
   * The splits of a run whose clients hold the training data: no training example, the labels of
   * {@code data.labels}, and {@code data.test}'s test split ({@link #testFile}), or none.
   */
  private static TaskSplits heldByClients(DataSection d, long seed) throws IOException {
    List<String> labels = d.labels();
    Dataset test = testFile(d, labels, seed, CLIENTS_DATA);
    for (int i = 0; i < test.size(); i++) {
      if (test.example(i).task() != null) {
        throw new DataFormatException(
            test.source().orElseThrow(),
            test.sourceLine(i).orElse(1),
            "task \""
                + test.example(i).task()
                + "\": a run whose clients hold the data (data.labels without data.file) has one"
                + " task, whose labels are data.labels");
      }
    }
    return new TaskSplits(
        CLIENTS_DATA,
        Dataset.of(CLIENTS_DATA + "/train", List.of(), labels),
        Dataset.of(CLIENTS_DATA + "/validation", List.of(), labels),
        test,
        null);
  }

  /**
   * {@code data.test} read with the vocabulary {@code labels} (an example with another label is an
   * error naming its line: without {@code data.labels}, as a label not in training that data.labels
   * would make a class, {@link #DATA_LABELS_HINT}) and capped to {@code data.max_eval} as a
   * stratified sample; an empty split named {@code name/test} without {@code data.test}.
   */
  private static Dataset testFile(DataSection d, List<String> labels, long seed, String name)
      throws IOException {
    if (d.test().isEmpty()) {
      return Dataset.of(name + "/test", List.of(), labels);
    }
    Dataset read = DataFiles.read(Path.of(d.test()));
    if (d.labels().isEmpty()) {
      LabelCheck.of(labels, read).requireKnown(DATA_LABELS_HINT);
    }
    Dataset test = LabelCheck.listed(read, labels, LabelCheck.RUN_LABELS, UNLISTED_HINT);
    return d.maxEval() < test.size() ? Splits.capStratified(test, d.maxEval(), seed) : test;
  }

  /** Refuses a data file that a key names but that does not exist, naming the key. */
  private static void requireFile(String key, String file) {
    if (!file.isEmpty() && !Files.exists(Path.of(file))) {
      throw new IllegalArgumentException(key + " = " + file + ": no such file or folder");
    }
  }

  /**
   * Refuses a partition that leaves a client without a training example (a Dirichlet partition with
   * {@code min=0} can): such a client would fail every round it is sampled for, having nothing to
   * train on.
   *
   * @throws IllegalArgumentException naming data.partition, how many clients are empty and the
   *     first of them
   */
  private static void requireEveryClientTrains(SimulationConfig config, List<int[]> parts) {
    int empty = 0;
    int first = -1;
    for (int c = 0; c < parts.size(); c++) {
      if (parts.get(c).length == 0) {
        empty++;
        first = first < 0 ? c : first;
      }
    }
    if (empty > 0) {
      throw new IllegalArgumentException(
          "data.partition = \""
              + config.partition()
              + "\" gives "
              + empty
              + " of the "
              + parts.size()
              + " clients no training example (the first: "
              + clientId(first, config.clients())
              + "), which could then train nothing: give the partition a minimum of at least 1"
              + " (dirichlet:ALPHA,min=N with N >= 1, or leave min out), lower clients or use"
              + " another data.partition");
    }
  }

  /**
   * Partitions the training split over the clients and tokenizes every example once.
   *
   * @param splits the task's splits ({@link #loadSplits})
   * @param base tokenizes the examples
   */
  public static Population build(SimulationConfig config, TaskSplits splits, FrozenBase base) {
    long seed = config.seed();
    if (config.data().heldByClients()) {
      // The clients hold the data: the population is its ids, each with no data here.
      EncodedExamples none = new EncodedExamples(new long[0][], new int[0]);
      List<ClientData> ids = new ArrayList<>();
      for (int c = 0; c < config.clients(); c++) {
        ids.add(new ClientData(clientId(c, config.clients()), c, none, none));
      }
      return new Population(
          splits,
          ids,
          null,
          base.encode(splits.test(), splits.taskLabels()),
          null,
          Budgets.parse(config.budgets(), ids.size(), seed),
          false,
          null);
    }
    Dataset train = splits.train();
    Partitioner partitioner = Partitioners.parse(config.partition());
    List<String> groups = null;
    if (partitioner instanceof NaturalPartitioner natural) {
      natural.requireEveryGroupTrains(splits, config.data().test().isEmpty());
      groups = natural.groups(train);
    }
    List<int[]> parts;
    try {
      parts = partitioner.partition(train, config.clients(), seed);
    } catch (IllegalArgumentException e) {
      if (groups != null) {
        throw e; // a natural partition names clients and the groups it found
      }
      // The partitioner speaks of examples and clients; say which keys set them. data.max_train
      // is worth raising only where it cut the training split (a cap at or above the split's
      // size, when the file has fewer examples, leaves it whole).
      boolean capsTheData = config.maxTrain() > 0 && train.size() >= config.maxTrain();
      throw new IllegalArgumentException(
          "data.partition = \""
              + config.partition()
              + "\" with clients = "
              + config.clients()
              + " on "
              + train.size()
              + " training "
              + Words.plural(train.size(), "example")
              + ": "
              + e.getMessage()
              + " (lower clients"
              + (capsTheData ? ", raise data.max_train (" + config.maxTrain() + ")" : "")
              + " or use another data.partition)",
          e);
    }
    PartitionStats.requireExactCover(parts, train.size());
    requireEveryClientTrains(config, parts);
    int[][] histogram = PartitionStats.labelHistogram(train, parts);
    EncodedExamples all = base.encode(train, splits.taskLabels());
    // In a multi-task run every client is also asked every task: the test split of each task.
    EncodedExamples test = base.encode(splits.test(), splits.taskLabels());
    EncodedExamples everyTask = splits.isMultiTask() ? test : null;
    // A retrieval task's documents, which every client knows (the contrastive objective trains
    // and evaluates against them).
    EncodedExamples documents = splits.corpus() == null ? null : base.encode(splits.corpus());
    List<ClientData> clients = new ArrayList<>();
    for (int c = 0; c < parts.size(); c++) {
      clients.add(
          clientData(
              clientId(c, config.clients()),
              c,
              all.subset(parts.get(c)),
              everyTask,
              documents,
              config));
    }
    double[] budgets = Budgets.parse(config.budgets(), clients.size(), seed);
    return new Population(splits, clients, histogram, test, documents, budgets, true, groups);
  }

  /**
   * The id of client {@code index} in a population of {@code clients}: {@code client-<index>},
   * zero-padded to the width of the largest index.
   */
  public static String clientId(int index, int clients) {
    int width = Integer.toString(clients - 1).length();
    return "client-" + String.format("%0" + width + "d", index);
  }

  /**
   * {@link #clientData(String, int, EncodedExamples, EncodedExamples, EncodedExamples,
   * SimulationConfig)} of a single-task classification run.
   */
  public static ClientData clientData(
      String id, int index, EncodedExamples share, SimulationConfig config) {
    return clientData(id, index, share, null, null, config);
  }

  /**
   * One client's data from its share of the training examples, in the order of the training split:
   * the share is shuffled with a generator keyed on (seed, "holdout", index), the first {@code
   * round(n * client.holdout)} examples (at most n - 1) are held out, the rest are its training
   * examples. A client process that reads its own file builds its data the same way.
   *
   * @param everyTask the test examples of every task of a multi-task run, or null
   * @param documents a retrieval task's documents, or null
   */
  public static ClientData clientData(
      String id,
      int index,
      EncodedExamples share,
      EncodedExamples everyTask,
      EncodedExamples documents,
      SimulationConfig config) {
    int[] idx = new int[share.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    SeededRandom rng = new SeededRandom(Seeds.derive(config.seed(), "holdout", index));
    for (int i = idx.length - 1; i > 0; i--) {
      int j = (int) rng.nextLong(i + 1);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    int hold = (int) Math.round(idx.length * config.clientHoldout());
    hold = Math.min(hold, Math.max(0, idx.length - 1));
    return new ClientData(
        id,
        index,
        share.subset(Arrays.copyOfRange(idx, hold, idx.length)),
        share.subset(Arrays.copyOfRange(idx, 0, hold)),
        everyTask,
        documents);
  }

  /** The task's splits. */
  public TaskSplits splits() {
    return splits;
  }

  /** The clients, in index order. */
  public List<ClientData> clients() {
    return clients;
  }

  /** Each client's index by id. */
  public Map<String, Integer> indexById() {
    Map<String, Integer> m = new LinkedHashMap<>();
    clients.forEach(c -> m.put(c.id(), c.index()));
    return m;
  }

  /**
   * Label counts of a client's training share, in label order.
   *
   * @throws IllegalStateException if the clients hold the data ({@link #knowsClientData()} false)
   */
  public int[] labelHistogram(int clientIndex) {
    if (labelHistogram == null) {
      throw new IllegalStateException("the clients hold their data: no label histogram here");
    }
    return labelHistogram[clientIndex].clone();
  }

  /**
   * False for a server whose clients bring their own data ({@code data.labels} without {@code
   * data.file}): it knows the clients' ids, not their examples, and every {@link ClientData} here
   * is empty.
   */
  public boolean knowsClientData() {
    return knowsClientData;
  }

  /**
   * True when the server has a test split to evaluate the global model on; false when the run is
   * evaluated on the clients' held-out data only ({@link DataSection#hasTestSplit()}).
   */
  public boolean hasTestSet() {
    return testSet.size() > 0;
  }

  /** A client's compute budget in (0, 1] ({@code client.budgets}; 1 when none is set). */
  public double budget(int clientIndex) {
    return budgets[clientIndex];
  }

  /**
   * A retrieval task's documents, tokenized (example {@code i} is the document of label {@code i});
   * null for other tasks.
   */
  public EncodedExamples documents() {
    return documents;
  }

  /** The server's test set, tokenized. */
  public EncodedExamples testSet() {
    return testSet;
  }
}
