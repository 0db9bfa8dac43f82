package org.fedpeft.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.client.ClientData;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.PartitionStats;
import org.fedpeft.data.Partitioners;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSource;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;
import org.fedpeft.retrieval.Corpus;
import org.fedpeft.simulation.SimulationConfig;
import org.fedpeft.train.EncodedExamples;
import org.fedpeft.train.FrozenBase;

/**
 * The clients of a run and their data: the task's splits, the partition of the training split over
 * {@code clients} clients (seeded), each client's held-out share, and the test split the server
 * evaluates on. Client ids are {@code client-<i>}, zero-padded to the width of the largest index.
 */
public final class Population {

  private final TaskSplits splits;
  private final List<ClientData> clients;
  private final int[][] labelHistogram;
  private final EncodedExamples testSet;
  private final EncodedExamples documents;
  private final double[] budgets;

  private Population(
      TaskSplits splits,
      List<ClientData> clients,
      int[][] labelHistogram,
      EncodedExamples test,
      EncodedExamples documents,
      double[] budgets) {
    this.splits = splits;
    this.clients = Collections.unmodifiableList(clients);
    this.labelHistogram = labelHistogram;
    this.testSet = test;
    this.documents = documents;
    this.budgets = budgets;
  }

  /**
   * Loads the task's splits (no model needed), for checks before the model loads. With {@code
   * data.corpus}, the data files hold queries for that corpus ({@link Corpus#splits}): the splits
   * carry the corpus, so the run is a retrieval run whose head scores the corpus's documents.
   *
   * @throws org.fedpeft.data.DataFormatException naming file and line of a malformed corpus or
   *     query file (a duplicate id, an empty text, a query's document not in the corpus)
   */
  public static TaskSplits loadSplits(SimulationConfig config) throws IOException {
    TaskOptions topts =
        TaskOptions.defaults()
            .withMaxTrain(config.maxTrain() == 0 ? TaskOptions.NO_CAP : config.maxTrain())
            .withMaxValidation(1)
            .withMaxTest(config.maxEval());
    if (!config.dataCorpus().isEmpty()) {
      return Corpus.read(Path.of(config.dataCorpus()))
          .splits(
              Path.of(config.dataFile()),
              config.dataTest().isEmpty() ? null : Path.of(config.dataTest()),
              topts,
              config.seed());
    }
    return TaskSource.load(
        config.task(),
        config.dataFile().isEmpty() ? null : Path.of(config.dataFile()),
        config.dataTest().isEmpty() ? null : Path.of(config.dataTest()),
        topts,
        config.seed());
  }

  /**
   * Partitions the training split over the clients and tokenizes every example once.
   *
   * @param splits the task's splits ({@link #loadSplits})
   * @param base tokenizes the examples
   */
  public static Population build(SimulationConfig config, TaskSplits splits, FrozenBase base) {
    long seed = config.seed();
    Dataset train = splits.train();
    List<int[]> parts =
        Partitioners.parse(config.partition()).partition(train, config.clients(), seed);
    PartitionStats.requireExactCover(parts, train.size());
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
    return new Population(splits, clients, histogram, test, documents, budgets);
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

  /** Label counts of a client's training share, in label order. */
  public int[] labelHistogram(int clientIndex) {
    return labelHistogram[clientIndex].clone();
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
