package org.fedpeft.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedpeft eval}: a saved adapter and head on a test split. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description =
        "Evaluates a saved adapter folder (as written by train or simulate) on the test split of"
            + " a task or of your data: prints accuracy and loss.")
public final class EvalCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ADAPTER_DIR", description = "The adapter folder.")
  Path adapterDir;

  @Mixin ModelOption model;

  @Mixin DataOptions data;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Seed of the data split; use the training run's (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--split",
      defaultValue = "test",
      description = "Which split to evaluate: test or validation (default: ${DEFAULT-VALUE}).")
  String split;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(adapterDir)) {
      throw new UserInputException(adapterDir + ": not an adapter folder");
    }
    if (!split.equals("test") && !split.equals("validation")) {
      throw new UserInputException("--split must be test or validation, got " + split);
    }
    AdapterFiles.Saved saved;
    try {
      saved = AdapterFiles.read(adapterDir);
    } catch (RuntimeException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    TaskSplits splits = data.load(seed);
    Dataset ds = split.equals("test") ? splits.test() : splits.validation();
    if (!saved.labels().isEmpty() && !saved.labels().equals(ds.labels())) {
      try {
        ds = ds.withLabels(saved.labels());
      } catch (IllegalArgumentException e) {
        throw new UserInputException(
            "the data's labels do not match the adapter's: " + e.getMessage(), e);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    try (FrozenBase base = new FrozenBase(model.load());
        Adapter a = AdapterFiles.instantiate(saved, base.encoder());
        ClassificationHead head =
            new ClassificationHead(
                base.root(), base.encoder().config().hiddenSize(), ds.numLabels(), 0)) {
      head.loadState(saved.headTensors());
      ClassifierModel m = new ClassifierModel(base.encoder(), a, head);
      Evaluation ev = new LocalTrainer(m).evaluate(base.encode(ds), 64);
      out.printf(
          Locale.ROOT,
          "%s accuracy: %.4f (loss %.4f, %d examples of %s)%n",
          split,
          ev.accuracy(),
          ev.loss(),
          ev.examples(),
          data.describe());
    }
    return 0;
  }
}
