package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
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

  /** As {@link #run(String...)}, with the arguments in a list. */
  static Result run(List<String> args) {
    return run(args.toArray(new String[0]));
  }

  /** A {@code server} command running on a thread of this JVM, listening on {@code address}. */
  record Serving(String address, Future<Result> result) {}

  /**
   * Runs {@code fedpeft ARGS}, a {@code server} command, on a thread of {@code pool} and waits
   * until it prints that it listens ({@link Spawned#LISTENING}); returns the address it printed and
   * the command's result to come. ARGS should listen on {@link Spawned#ANY_PORT} (see {@link
   * Spawned#server(String, Map, List)} why).
   *
   * @throws AssertionError if the command ends before it listens (with what it printed)
   */
  static Serving server(ExecutorService pool, List<String> args) throws Exception {
    return server(pool, args.toArray(new String[0]));
  }

  /** As {@link #server(ExecutorService, List)}, with the arguments given one by one. */
  static Serving server(ExecutorService pool, String... args) throws Exception {
    CompletableFuture<String> listening = new CompletableFuture<>();
    StringWriter out = new StringWriter();
    StringWriter err =
        new StringWriter() {
          @Override
          public void write(String s, int off, int len) {
            super.write(s, off, len);
            noticeListening();
          }

          @Override
          public void write(char[] c, int off, int len) {
            super.write(c, off, len);
            noticeListening();
          }

          @Override
          public void write(int c) {
            super.write(c);
            noticeListening();
          }

          private void noticeListening() {
            if (listening.isDone()) {
              return;
            }
            String text = toString();
            int at = text.indexOf(Spawned.LISTENING);
            if (at >= 0 && text.indexOf('\n', at) > 0) {
              listening.complete(
                  Spawned.listeningAddress(text.substring(at, text.indexOf('\n', at))));
            }
          }
        };
    Future<Result> result =
        pool.submit(
            () -> {
              Result r;
              try {
                int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
                r = new Result(code, out.toString(), err.toString());
              } finally {
                listening.completeExceptionally(
                    new AssertionError(
                        "server ended without printing '"
                            + Spawned.LISTENING
                            + "'; its output:\n"
                            + err));
              }
              return r;
            });
    try {
      return new Serving(listening.get(), result);
    } catch (ExecutionException e) {
      throw (AssertionError) e.getCause();
    }
  }

  /**
   * Runs {@code simulate} as a user would on a small config written to {@code config}: seed 3, 2
   * rounds, 2 clients both each round, {@code file} split iid, {@code model}, 2 local steps of
   * batch 4 one client at a time, then {@code toml} (the sections under test), with each of {@code
   * sets} as a {@code --set}, into {@code out}.
   */
  static Result smallSimulate(
      Path config, Path out, Path model, Path file, String toml, String... sets) throws Exception {
    Files.writeString(
        config,
        """
        seed = 3
        rounds = 2
        clients = 2
        clients_per_round = 2

        [data]
        file = "%s"
        partition = "iid"

        [model]
        name = "%s"

        [client]
        local_steps = 2
        batch_size = 4
        parallel = 1

        """
                .formatted(
                    file.toString().replace("\\", "\\\\"), model.toString().replace("\\", "\\\\"))
            + toml);
    List<String> args =
        new ArrayList<>(List.of("simulate", config.toString(), "--out", out.toString()));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    return run(args.toArray(new String[0]));
  }

  /**
   * Simulates, into {@code dir/out-NAME}, a tiny LoRA run (seed 3, 2 rounds, 2 clients) of {@code
   * model} on {@code train} with the test file {@code test} and the extra {@code [data]} lines
   * {@code dataLines} (such as {@code labels = [...]}), then checks that {@code eval} of its
   * adapter, with the test file alone and with {@code --data train} too, prints the run's final
   * test accuracy and loss on {@code examples} examples: eval scored the examples the run scored,
   * with the same classes.
   *
   * @return the run's adapter folder
   */
  static Path assertEvalScoresAsTheRun(
      Path dir, String name, Path model, Path train, Path test, String dataLines, int examples)
      throws Exception {
    Path out = dir.resolve("out-" + name);
    Path config =
        Files.writeString(
            dir.resolve(name + ".toml"),
            """
            seed = 3
            rounds = 2
            clients = 2
            clients_per_round = 2

            [data]
            file = "%s"
            test = "%s"
            %s

            [model]
            name = "%s"

            [client]
            local_steps = 3
            batch_size = 4
            learning_rate = 0.01
            parallel = 1

            [adapter]
            method = "lora"
            rank = 2
            """
                .formatted(
                    train.toString().replace("\\", "\\\\"),
                    test.toString().replace("\\", "\\\\"),
                    dataLines,
                    model.toString().replace("\\", "\\\\")));
    Result r = run("simulate", config.toString(), "--out", out.toString());
    assertEquals(0, r.code(), name + ": " + r.err());
    JsonObject s =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    String expected =
        String.format(
            Locale.ROOT,
            "test accuracy: %.4f (loss %.4f, %d examples of ",
            s.get("final_accuracy").getAsDouble(),
            s.get("final_loss").getAsDouble(),
            examples);
    Path adapter = out.resolve("adapter");
    Result alone =
        run("eval", adapter.toString(), "--model", model.toString(), "--test", test.toString());
    assertEquals(0, alone.code(), name + ": " + alone.err());
    assertEquals(expected, alone.out().substring(0, expected.length()), name + ": --test alone");
    Result withData =
        run(
            "eval",
            adapter.toString(),
            "--model",
            model.toString(),
            "--data",
            train.toString(),
            "--test",
            test.toString());
    assertEquals(0, withData.code(), name + ": " + withData.err());
    assertEquals(expected, withData.out().substring(0, expected.length()), name + ": with --data");
    return adapter;
  }

  /**
   * Writes {@code examples} JSONL lines to {@code file}, cycling through four topics of three words
   * each (labels t0-t3, text "TOPIC WORDS number i"): data for tiny runs on {@link
   * #tinyModelFolder}.
   */
  static void fourTopics(Path file, int examples) throws java.io.IOException {
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim", "sea fish boat"};
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < examples; i++) {
      lines.add(
          "{\"text\": \""
              + topics[i % 4]
              + " number "
              + i
              + "\", \"label\": \"t"
              + (i % 4)
              + "\"}");
    }
    Files.write(file, lines);
  }

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

  /**
   * Writes {@code 2 n} examples of two labels to {@code file} ({@link #jsonl}): "a small animal i"
   * labelled "animal" and "a kind of food i" labelled "food", for i from 0 to n - 1, alternating.
   */
  static Path animalsAndFood(Path file, int n) throws Exception {
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(new String[] {"a small animal " + i, "animal"});
      rows.add(new String[] {"a kind of food " + i, "food"});
    }
    return jsonl(file, rows);
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
    Path data = animalsAndFood(dir.resolve("train.jsonl"), 10);
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
    Path data = animalsAndFood(dir.resolve("train.jsonl"), 8);
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
