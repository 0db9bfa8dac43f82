package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.RandomBert;

/** Runs the command line in-process, as a user would, capturing exit code and output. */
final class CliRun {
  private CliRun() {}

  /** What a command returned and printed. */
  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  /** Writes a tiny random BERT with the bundled tokenizer as a Hugging Face folder. */
  /**
   * {@code train} of the bundled task with adapter {@code method} and {@code --adapter-options
   * options}, a model folder that does not exist and {@code --out dir/out}: for refusals that must
   * come before the model loads (the model's absence would be the error otherwise).
   */
  static Result trainWithoutModel(Path dir, String method, String options) {
    return run(
        "train",
        "--model",
        dir.resolve("no-model").toString(),
        "--task",
        "wordnet-noun-topic",
        "--adapter",
        method,
        "--adapter-options",
        options,
        "--out",
        dir.resolve("out").toString());
  }

  static Path tinyModelFolder(Path dir) throws Exception {
    PretrainedModel bundled = PretrainedModel.bundledMiniLm();
    HuggingFaceFolder.save(
        RandomBert.tiny(bundled.tokenizerJson(), bundled.config().vocabSize(), 7), dir);
    return dir;
  }

  /** Writes {@code {"text": ..., "label": ...}} lines, one per {text, label} row. */
  static Path jsonl(Path file, List<String[]> rows) throws Exception {
    List<String> lines = new ArrayList<>();
    for (String[] r : rows) {
      JsonObject o = new JsonObject();
      o.addProperty("text", r[0]);
      o.addProperty("label", r[1]);
      lines.add(o.toString());
    }
    return Files.write(file, lines);
  }

  /** A tiny model, its training data and the adapter that {@link #tinyTrainedAdapter} made. */
  record TinyRun(Path model, Path data, Path adapter) {}

  /**
   * In {@code dir}: a {@link #tinyModelFolder}, {@code train.jsonl} with 20 examples of two labels
   * ("animal", "food"), and {@code run/}, a one-step {@code train} of them without evaluation (plus
   * {@code trainOptions}); fails the test if train fails.
   */
  static TinyRun tinyTrainedAdapter(Path dir, String... trainOptions) throws Exception {
    Path model = tinyModelFolder(dir.resolve("model"));
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(new String[] {"a small animal " + i, "animal"});
      rows.add(new String[] {"a kind of food " + i, "food"});
    }
    Path data = jsonl(dir.resolve("train.jsonl"), rows);
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--steps",
                "1",
                "--eval-every",
                "0",
                "--out",
                dir.resolve("run").toString()));
    args.addAll(List.of(trainOptions));
    Result r = run(args.toArray(new String[0]));
    assertEquals(0, r.code(), r.err());
    return new TinyRun(model, data, dir.resolve("run").resolve("adapter"));
  }

  /**
   * In {@code dir}: a {@link #tinyModelFolder}, {@code train.jsonl} with 16 examples of two labels
   * and {@code run.toml}, a one-round config of one client on them (no split); returns the config.
   */
  static Path oneClientConfig(Path dir) throws Exception {
    Path model = tinyModelFolder(dir.resolve("model"));
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      rows.add(new String[] {"a small animal " + i, "animal"});
      rows.add(new String[] {"a kind of food " + i, "food"});
    }
    Path data = jsonl(dir.resolve("train.jsonl"), rows);
    return Files.writeString(
        dir.resolve("run.toml"),
        """
        rounds = 1
        clients = 1
        clients_per_round = 1

        [data]
        file = "%s"
        split = "none"

        [model]
        name = "%s"
        """
            .formatted(
                data.toString().replace("\\", "\\\\"), model.toString().replace("\\", "\\\\")));
  }
}
