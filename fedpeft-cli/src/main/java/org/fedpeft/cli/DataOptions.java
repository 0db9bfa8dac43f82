package org.fedpeft.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSource;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.retrieval.Corpus;
import picocli.CommandLine.Option;

/** Where the examples come from: a bundled task or the user's files, with split sizes. */
public final class DataOptions {

  @Option(
      names = "--task",
      paramLabel = "TASK",
      defaultValue = Tasks.NOUN_TOPIC,
      description =
          "A task spec, see '"
              + Launcher.IN_HELP
              + " tasks list' (default: ${DEFAULT-VALUE}; eval's default is"
              + " the task the adapter was trained on); several joined by + make a multi-task"
              + " dataset. Not with --data, --test or --corpus (refused: the files are the data).")
  String task;

  @Option(
      names = "--data",
      paramLabel = "FILE",
      description =
          "Your data: JSONL or CSV with text and label (optional client, task). Without --test"
              + " it is split 80/10/10 with the seed (train trains on the 80, eval evaluates the"
              + " test or validation part).")
  Path data;

  @Option(
      names = "--test",
      paramLabel = "FILE",
      description =
          "Your test data (needs --data; eval takes it alone, labelled as the adapter's labels,"
              + " or with --corpus as queries of that corpus).")
  Path test;

  @Option(
      names = "--corpus",
      paramLabel = "FILE",
      description =
          "Your retrieval corpus: JSON Lines with a unique \"id\" and a non-empty \"text\". With"
              + " it, --data and --test hold queries with \"text\" and \"doc\" (a document id),"
              + " and the head's labels are the corpus's document ids (classifier-as-retriever).")
  Path corpus;

  @Option(
      names = "--max-train",
      paramLabel = "N",
      description =
          "Use at most N training examples (stratified; of each task, for a --task joining several"
              + " with +). Default: all.")
  Integer maxTrain;

  @Option(
      names = "--max-eval",
      paramLabel = "N",
      defaultValue = "2000",
      description =
          "Evaluate on at most N validation and N test examples (stratified;"
              + " default: ${DEFAULT-VALUE}; for eval, the cap the adapter's run recorded).")
  int maxEval;

  /**
   * The cap on validation and test examples ({@code --max-eval}).
   *
   * @throws UserInputException if it is below 1
   */
  int maxEval() {
    if (maxEval < 1) {
      throw new UserInputException("--max-eval must be at least 1, got " + maxEval);
    }
    return maxEval;
  }

  /** How eval's refusals name an adapter's labels. */
  static final String ADAPTER_LABELS = "the adapter's labels";

  /** Loads the splits; file problems become user errors naming the file and line. */
  public TaskSplits load(long seed) {
    return load(seed, List.of());
  }

  /**
   * Loads the splits of a model whose labels are {@code labels} (an adapter's, as a run's {@code
   * data.labels}; empty: the data's), as {@link TaskSource#load(String, Path, Path,
   * TaskSource.Labels, TaskOptions, long)} reads them for {@link TaskSource.Labels#model}: a {@code
   * --test} label that the {@code --data} file lacks is accepted when {@code labels} lists it, one
   * they do not list is refused naming its line as not one of "the adapter's labels", and the
   * {@code --data} file's labels are not checked (the caller checks the split it scores). File
   * problems become user errors naming the file and line.
   */
  public TaskSplits load(long seed, List<String> labels) {
    int maxEval = maxEval();
    if (maxTrain != null && maxTrain < 1) {
      throw new UserInputException("--max-train must be at least 1, got " + maxTrain);
    }
    TaskOptions o =
        TaskOptions.defaults()
            .withMaxTrain(maxTrain == null ? TaskOptions.NO_CAP : maxTrain)
            .withMaxValidation(maxEval)
            .withMaxTest(maxEval);
    if (corpus != null && data == null) {
      throw new UserInputException("--corpus needs --data: a JSON Lines file of queries");
    }
    try {
      if (corpus != null) {
        return Corpus.read(corpus).splits(data, test, o, seed);
      }
      return TaskSource.load(
          task, data, test, TaskSource.Labels.model(labels, ADAPTER_LABELS), o, seed);
    } catch (DataFormatException e) {
      throw new UserInputException(e.getMessage(), e);
    } catch (IOException e) {
      throw new UserInputException("cannot read data: " + e.getMessage(), e);
    }
  }

  /**
   * A short description for reports: the files, or the task when there are none (a test file given
   * alone, as eval takes it, is the data, with its corpus if any, not the unused --task).
   */
  public String describe() {
    if (data == null) {
      return test == null ? task : describeFiles(test, null, corpus);
    }
    return describeFiles(data, test, corpus);
  }

  /** Data files as messages name them: {@code data (test: T) (corpus: C)}; null parts left out. */
  static String describeFiles(Object data, Object test, Object corpus) {
    return data
        + (test == null ? "" : " (test: " + test + ")")
        + (corpus == null ? "" : " (corpus: " + corpus + ")");
  }
}
