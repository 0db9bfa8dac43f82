package org.fedpeft.cli;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.PrivacyBudget;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.EncodedExamples;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpeft train}: centralised fine-tuning of an adapter and a head. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Fine-tunes an adapter and a classification head on one dataset (centralised, no"
          + " federation), evaluating on the validation split as it goes and on the test split"
          + " at the end.",
      "Writes to the output folder: adapter/ (Hugging Face PEFT format plus head.safetensors),"
          + " metrics.jsonl (one line per logged step and evaluation) and summary.json."
    })
public final class TrainCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Mixin AdapterOptions adapter;

  @Mixin DataOptions data;

  @Mixin TrainOptions train;

  @Option(
      names = {"-o", "--out"},
      paramLabel = "DIR",
      description = "Output folder (default: runs/train-<date-time>).")
  Path out;

  @Option(
      names = "--eval-every",
      paramLabel = "N",
      defaultValue = "100",
      description =
          "Evaluate on the validation split every N steps; 0: only at the end"
              + " (default: ${DEFAULT-VALUE}).")
  int evalEvery;

  @Option(
      names = "--dp-noise",
      paramLabel = "SIGMA",
      description =
          "Train with sample-level DP-SGD: Poisson batches of expected size"
              + " --batch-size, per-example clipping to --dp-clip, Gaussian noise SIGMA x clip"
              + " (SecureRandom). Off by default.")
  Double dpNoise;

  @Option(
      names = "--dp-clip",
      paramLabel = "C",
      defaultValue = "1.0",
      description = "DP-SGD per-example clip norm (default: ${DEFAULT-VALUE}).")
  double dpClip;

  @Option(
      names = "--dp-epsilon",
      paramLabel = "E",
      description = "DP-SGD budget: stop before a step that would exceed it (default: none).")
  Double dpEpsilon;

  @Option(
      names = "--dp-delta",
      paramLabel = "D",
      defaultValue = "1e-5",
      description = "Delta of the reported epsilon (default: ${DEFAULT-VALUE}).")
  double dpDelta;

  @Override
  public Integer call() throws Exception {
    TrainConfig cfg = train.config();
    DpSgd.Config dpConfig = null;
    PrivacyBudget budget = null;
    if (dpNoise != null) {
      try {
        dpConfig = new DpSgd.Config(dpClip, dpNoise, cfg.batchSize());
        budget =
            new PrivacyBudget(dpEpsilon == null ? Double.POSITIVE_INFINITY : dpEpsilon, dpDelta);
      } catch (IllegalArgumentException e) {
        throw new UserInputException(e.getMessage(), e);
      }
    } else if (dpEpsilon != null) {
      throw new UserInputException("--dp-epsilon needs --dp-noise");
    }
    if (evalEvery < 0) {
      throw new UserInputException("--eval-every must be >= 0, got " + evalEvery);
    }
    String method = adapter.methodOrNull();
    Path dir = out != null ? out : defaultOut("train");
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    PretrainedModel pretrained = model.load();
    TaskSplits splits = data.load(cfg.seed());
    err.printf(
        Locale.ROOT,
        "data: %s, %d labels, %d train / %d validation / %d test examples%n",
        data.describe(),
        splits.labels().size(),
        splits.train().size(),
        splits.validation().size(),
        splits.test().size());
    long t0 = System.nanoTime();
    try (FrozenBase base = new FrozenBase(pretrained);
        Adapter a =
            method == null
                ? null
                : AdapterRegistry.get(method)
                    .create(adapter.parsedOptions(), base.encoder(), cfg.seed());
        ClassificationHead head =
            new ClassificationHead(
                base.root(),
                base.encoder().config().hiddenSize(),
                splits.labels().size(),
                cfg.seed() + 1);
        AdamW opt = new AdamW(base.root());
        JsonLines metrics = new JsonLines(dir.resolve("metrics.jsonl"))) {
      err.printf(
          Locale.ROOT,
          "model: %s; adapter: %s%n",
          base.model().name(),
          method == null
              ? "none (linear head on the frozen encoder)"
              : method + " " + (a == null ? "" : optionsOf(a)));
      ClassifierModel m = new ClassifierModel(base.encoder(), a, head);
      LocalTrainer trainer = new LocalTrainer(m);
      EncodedExamples trainSet = base.encode(splits.train());
      EncodedExamples valSet = base.encode(splits.validation());
      EncodedExamples testSet = base.encode(splits.test());
      ProgressBar bar = new ProgressBar(err, "train", cfg.steps());
      double[] window = new double[2];
      int[] count = new int[1];
      TrainListener listener =
          (step, total, loss, acc, lr) -> {
            window[0] += loss;
            window[1] += acc;
            count[0]++;
            bar.update(
                step,
                String.format(
                    Locale.ROOT,
                    "loss %.4f acc %.3f lr %.2e",
                    window[0] / count[0],
                    window[1] / count[0],
                    lr));
            if (step % 10 == 0 || step == total) {
              Map<String, Object> rec = new LinkedHashMap<>();
              rec.put("event", "train");
              rec.put("step", step);
              rec.put("loss", window[0] / count[0]);
              rec.put("accuracy", window[1] / count[0]);
              rec.put("lr", lr);
              metrics.write(rec);
              window[0] = 0;
              window[1] = 0;
              count[0] = 0;
            }
            if (valSet.size() > 0 && ((evalEvery > 0 && step % evalEvery == 0) || step == total)) {
              Evaluation ev = trainer.evaluate(valSet, 64);
              Map<String, Object> rec = new LinkedHashMap<>();
              rec.put("event", "validation");
              rec.put("step", step);
              rec.put("loss", ev.loss());
              rec.put("accuracy", ev.accuracy());
              rec.put("examples", ev.examples());
              metrics.write(rec);
            }
          };
      int stepsTaken = cfg.steps();
      if (dpConfig == null) {
        trainer.train(trainSet, cfg, opt, listener);
      } else {
        DpSgd dp = new DpSgd(m, dpConfig, GaussianNoise.secure());
        PrivacyBudget spent = budget;
        stepsTaken =
            dp.train(
                trainSet,
                cfg,
                opt,
                budget,
                (step, total, loss, acc, lr) ->
                    bar.update(
                        step,
                        String.format(
                            Locale.ROOT,
                            "DP-SGD epsilon %.3f lr %.2e",
                            spent.accountant().getEpsilon(spent.delta()),
                            lr)));
        if (stepsTaken < cfg.steps()) {
          err.printf("stopped after %d steps: the privacy budget is spent%n", stepsTaken);
        }
      }
      Evaluation test = trainer.evaluate(testSet, 64);
      Map<String, Object> rec = new LinkedHashMap<>();
      rec.put("event", "test");
      rec.put("step", cfg.steps());
      rec.put("loss", test.loss());
      rec.put("accuracy", test.accuracy());
      rec.put("examples", test.examples());
      metrics.write(rec);

      JsonObject extra = new JsonObject();
      extra.addProperty("task", splits.task());
      extra.addProperty("seed", cfg.seed());
      Path adapterDir = dir.resolve("adapter");
      AdapterFiles.save(
          adapterDir,
          a,
          cfg.seed(),
          Adapter.Tensors.toHost(head.tensors()),
          splits.labels(),
          base.model().name(),
          extra);
      double seconds = (System.nanoTime() - t0) / 1e9;
      JsonObject summary = new JsonObject();
      summary.addProperty("command", "train");
      summary.addProperty("model", base.model().name());
      summary.addProperty("adapter", method == null ? "none" : method);
      summary.addProperty("adapter_options", method == null ? "" : adapter.options);
      summary.addProperty("data", data.describe());
      summary.addProperty("task", splits.task());
      summary.addProperty("labels", splits.labels().size());
      summary.addProperty("train_examples", splits.train().size());
      summary.addProperty("test_examples", test.examples());
      summary.addProperty("steps", cfg.steps());
      summary.addProperty("batch_size", cfg.batchSize());
      summary.addProperty("learning_rate", cfg.learningRate());
      summary.addProperty("seed", cfg.seed());
      summary.addProperty(
          "trainable_parameters",
          m.trainableTensors().stream().mapToLong(t -> t.array().size()).sum());
      summary.addProperty("steps_taken", stepsTaken);
      if (budget != null) {
        summary.addProperty("dp", "sample-level DP-SGD, Poisson sampling");
        summary.addProperty("epsilon", budget.accountant().getEpsilon(budget.delta()));
        summary.addProperty("delta", budget.delta());
        summary.addProperty("dp_noise_multiplier", dpConfig.noiseMultiplier());
        summary.addProperty("dp_clip_norm", dpConfig.clipNorm());
        stdout.printf(
            Locale.ROOT,
            "privacy: epsilon %.4f at delta %s (DP-SGD, Poisson sampling, q = %d/%d)%n",
            budget.accountant().getEpsilon(budget.delta()),
            budget.delta(),
            cfg.batchSize(),
            splits.train().size());
      }
      summary.addProperty("test_accuracy", test.accuracy());
      summary.addProperty("test_loss", test.loss());
      summary.addProperty("seconds", seconds);
      summary.addProperty("adapter_dir", adapterDir.toString());
      AtomicFiles.writeString(dir.resolve("summary.json"), JsonLines.GSON.toJson(summary) + "\n");
      stdout.printf(
          Locale.ROOT,
          "test accuracy: %.4f (loss %.4f, %d examples) after %d steps in %.0f s%n",
          test.accuracy(),
          test.loss(),
          test.examples(),
          cfg.steps(),
          seconds);
      stdout.printf("adapter: %s%nsummary: %s%n", adapterDir, dir.resolve("summary.json"));
    }
    return 0;
  }

  private static String optionsOf(Adapter a) {
    return a instanceof org.fedpeft.peft.lora.LoraAdapter l
        ? l.config().toOptions().toString()
        : "";
  }

  static Path defaultOut(String what) {
    return Path.of(
        "runs",
        what + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
  }
}
