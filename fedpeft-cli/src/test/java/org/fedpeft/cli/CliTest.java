package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line run as a user runs it: arguments in, exit code and output out. */
class CliTest {

  @TempDir static Path tmp;
  static Path tinyModel;

  @BeforeAll
  static void tinyModelFolder() throws Exception {
    tinyModel = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "eval", "predict", "embed", "info"})
  void everyCommandHasHelp(String command) {
    CliRun.Result r = CliRun.run(command, "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("Usage: fedpeft " + command), r.out());
  }

  @Test
  void badOptionsGiveOneLineAndExitCode2() {
    for (String[] args :
        List.of(
            new String[] {"train", "--no-such-option"},
            new String[] {"train", "--steps", "abc"},
            new String[] {"train", "--steps", "0"},
            new String[] {"train", "--schedule", "sideways"},
            new String[] {"train", "--adapter", "nosuchmethod"},
            new String[] {"train", "--adapter-options", "rank=0"},
            new String[] {"info", "--adapter-options", "ranks=4"},
            new String[] {"eval", tmp.resolve("missing").toString()},
            new String[] {"train", "--model", tmp.resolve("no-model").toString()},
            new String[] {"nosuchcommand"},
            new String[] {"train", "--precision", "fp16"},
            new String[] {"eval", tmp.toString(), "--precision", "half"},
            new String[] {"embed", "--precision", "BF16", "some text"})) {
      CliRun.Result r = CliRun.run(args);
      assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
      assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
      assertTrue(r.err().startsWith("fedpeft"), r.err());
    }
    // The DP options are named as the user gave them (QA, 3 December: "dp noise_multiplier must
    // be >= 0, got Infinity").
    for (String[] args :
        List.of(
            new String[] {"--dp-noise", "Infinity"},
            new String[] {"--dp-noise", "1", "--dp-clip", "0"},
            new String[] {"--dp-noise", "1", "--dp-delta", "1"},
            new String[] {"--dp-noise", "1", "--dp-epsilon", "-1"})) {
      List<String> all = new ArrayList<>(List.of("train"));
      all.addAll(List.of(args));
      CliRun.Result r = CliRun.run(all.toArray(new String[0]));
      assertEquals(2, r.code(), String.join(" ", all) + " -> " + r.err());
      String option = args[args.length - 2];
      assertTrue(r.err().startsWith("fedpeft train: " + option + " must be"), r.err());
    }
  }

  /**
   * QA, 2 December: --help named three of the adapter methods, and a subcommand's --version (listed
   * in its --help) printed nothing.
   */
  @Test
  void helpListsEveryMethodAndEveryVersionOptionPrints() {
    CliRun.Result help = CliRun.run("train", "--help");
    assertEquals(0, help.code(), help.err());
    String flat = help.out().replaceAll("\\s+", " ");
    for (String method : org.fedpeft.peft.AdapterRegistry.builtIn().keySet()) {
      assertTrue(flat.contains(method + ","), method + " missing from: " + flat);
    }
    for (String[] args :
        new String[][] {{"simulate", "--version"}, {"privacy", "epsilon", "--version"}}) {
      CliRun.Result v = CliRun.run(args);
      assertEquals(0, v.code(), v.err());
      assertTrue(v.out().startsWith("fedpeft "), String.join(" ", args) + ": " + v.out());
    }
  }

  @Test
  void malformedDataNamesTheFileAndLine() throws Exception {
    Path data = tmp.resolve("bad.jsonl");
    Files.writeString(data, "{\"text\": \"ok\", \"label\": \"a\"}\n{\"text\": \"no label\"}\n");
    CliRun.Result r =
        CliRun.run("train", "--model", tinyModel.toString(), "--data", data.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("bad.jsonl:2"), r.err());
  }

  /** 60 examples of three labels (c0, c1, c2), 20 each, in {@code tmp/name}. */
  private Path threeClassData(String name) throws Exception {
    Path data = tmp.resolve(name);
    List<String> lines = new ArrayList<>();
    String[] words = {"apple banana cherry", "hammer nail saw", "run jump swim"};
    for (int i = 0; i < 60; i++) {
      lines.add("{\"text\": \"" + words[i % 3] + " " + i + "\", \"label\": \"c" + (i % 3) + "\"}");
    }
    Files.write(data, lines);
    return data;
  }

  /** train on the tiny model: 30 steps of 8, evaluated every 10, plus {@code more} options. */
  private CliRun.Result trainTiny(Path data, Path out, String... more) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "train",
            "--model",
            tinyModel.toString(),
            "--data",
            data.toString(),
            "--steps",
            "30",
            "--batch-size",
            "8",
            "--eval-every",
            "10",
            "--out",
            out.toString()));
    args.addAll(List.of(more));
    return CliRun.run(args.toArray(new String[0]));
  }

  @Test
  void trainThenEvalOnUserData() throws Exception {
    Path data = threeClassData("train.jsonl");
    Path out = tmp.resolve("run");
    CliRun.Result r = trainTiny(data, out, "--lr", "5e-3");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("test accuracy:"), r.out());
    assertTrue(Files.isRegularFile(out.resolve("adapter/adapter_config.json")));
    assertTrue(Files.isRegularFile(out.resolve("adapter/adapter_model.safetensors")));
    assertTrue(Files.isRegularFile(out.resolve("adapter/head.safetensors")));
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    double acc = summary.get("test_accuracy").getAsDouble();
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertTrue(metrics.stream().anyMatch(l -> l.contains("\"event\":\"validation\"")));
    assertTrue(metrics.get(metrics.size() - 1).contains("\"event\":\"test\""));

    CliRun.Result ev =
        CliRun.run(
            "eval",
            out.resolve("adapter").toString(),
            "--model",
            tinyModel.toString(),
            "--data",
            data.toString());
    assertEquals(0, ev.code(), ev.err());
    assertTrue(
        ev.out().startsWith(String.format(java.util.Locale.ROOT, "test accuracy: %.4f", acc)),
        ev.out() + " vs " + acc);

    // QA, 3 December: without --data, eval evaluated the default bundled task, another dataset,
    // and said nothing; an adapter trained on the user's own file now needs that file named.
    ev = CliRun.run("eval", out.resolve("adapter").toString(), "--model", tinyModel.toString());
    assertEquals(2, ev.code(), ev.err());
    assertTrue(
        ev.err().contains(" was trained on train.jsonl, your own data, not a bundled task"),
        ev.err());
    // QA, 3 December: a retrieval run's adapter evaluated with --data alone gave top-1 without
    // its ranking metrics; the message names --corpus too.
    assertTrue(ev.err().contains("add --corpus FILE"), ev.err());

    // Audit: --task with --test (or --data) was silently ignored; it is refused, as train refuses
    // --task with --data, before anything is loaded.
    for (String files : List.of("--test", "--data")) {
      ev =
          CliRun.run(
              "eval",
              out.resolve("adapter").toString(),
              "--model",
              tinyModel.toString(),
              files,
              data.toString(),
              "--task",
              "wordnet-pos");
      assertEquals(2, ev.code(), files + ": " + ev.err());
      assertEquals(
          "fedpeft eval: --task wordnet-pos does nothing with "
              + files
              + ": eval evaluates on "
              + data
              + "; leave out --task, or "
              + files
              + " to evaluate on the task",
          ev.err().strip(),
          files);
    }
  }

  /**
   * --eval-split test: the periodic evaluations run on the test split (events
   * "test_during_training", none "validation"); timings.jsonl has the training time at each, which
   * only grows, and metrics.jsonl no wall time; a bad split is refused, naming the option.
   */
  @Test
  void periodicEvaluationOnTheTestSplitRecordsTrainingTime() throws Exception {
    Path data = threeClassData("curve.jsonl");
    Path out = tmp.resolve("curve-run");
    CliRun.Result r = trainTiny(data, out, "--eval-split", "test");
    assertEquals(0, r.code(), r.err());
    List<JsonObject> curve = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertNotEquals("validation", o.get("event").getAsString(), line);
      assertFalse(o.has("train_seconds"), "no wall time in metrics.jsonl: " + line);
      if (o.get("event").getAsString().equals("test_during_training")) {
        curve.add(o);
      }
    }
    assertEquals(3, curve.size(), curve.toString());
    List<String> times = Files.readAllLines(out.resolve("timings.jsonl"));
    assertEquals(3, times.size(), times.toString());
    double last = 0;
    for (int i = 0; i < 3; i++) {
      assertEquals(10 * (i + 1), curve.get(i).get("step").getAsInt());
      JsonObject t = JsonParser.parseString(times.get(i)).getAsJsonObject();
      assertEquals(10 * (i + 1), t.get("step").getAsInt());
      double seconds = t.get("train_seconds").getAsDouble();
      assertTrue(seconds > last, times.toString());
      last = seconds;
    }
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(
        summary.get("test_accuracy").getAsDouble(),
        curve.get(2).get("accuracy").getAsDouble(),
        1e-9,
        "the last curve point is the final test evaluation");

    CliRun.Result bad =
        CliRun.run(
            "train",
            "--model",
            tinyModel.toString(),
            "--data",
            data.toString(),
            "--eval-split",
            "dev");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--eval-split must be validation or test, got dev"), bad.err());
  }

  @Test
  void precisionErrorsNameTheOptionAndTheAllowedValues() {
    CliRun.Result r = CliRun.run("train", "--precision", "fp16");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--precision must be fp32, bf16 or auto, got fp16"), r.err());
  }

  /**
   * train and eval with a bfloat16 frozen base: the run records the precision (summary.json, and
   * train.json for --resume), eval in bf16 reproduces train's test accuracy, and embed gives unit
   * vectors close to float32's.
   */
  @Test
  void trainEvalAndEmbedWithABf16Base() throws Exception {
    Path data = tmp.resolve("train-bf16.jsonl");
    List<String> lines = new ArrayList<>();
    String[] words = {"apple banana cherry", "hammer nail saw", "run jump swim"};
    for (int i = 0; i < 60; i++) {
      lines.add("{\"text\": \"" + words[i % 3] + " " + i + "\", \"label\": \"c" + (i % 3) + "\"}");
    }
    Files.write(data, lines);
    Path out = tmp.resolve("run-bf16");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            tinyModel.toString(),
            "--precision",
            "bf16",
            "--data",
            data.toString(),
            "--steps",
            "10",
            "--batch-size",
            "8",
            "--lr",
            "5e-3",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("(bf16); adapter: lora"), r.err());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals("bf16", summary.get("precision").getAsString());
    JsonObject run =
        JsonParser.parseString(Files.readString(out.resolve("train.json"))).getAsJsonObject();
    assertEquals("bf16", run.get("precision").getAsString());
    double acc = summary.get("test_accuracy").getAsDouble();
    CliRun.Result ev =
        CliRun.run(
            "eval",
            out.resolve("adapter").toString(),
            "--model",
            tinyModel.toString(),
            "--precision",
            "bf16",
            "--data",
            data.toString());
    assertEquals(0, ev.code(), ev.err());
    assertTrue(
        ev.out().startsWith(String.format(java.util.Locale.ROOT, "test accuracy: %.4f", acc)),
        ev.out() + " vs " + acc);

    CliRun.Result e16 =
        CliRun.run("embed", "--model", tinyModel.toString(), "--precision", "bf16", "a red fox");
    CliRun.Result e32 = CliRun.run("embed", "--model", tinyModel.toString(), "a red fox");
    assertEquals(0, e16.code(), e16.err());
    JsonArray v16 = JsonParser.parseString(e16.out().strip()).getAsJsonArray();
    JsonArray v32 = JsonParser.parseString(e32.out().strip()).getAsJsonArray();
    double dot = 0;
    for (int i = 0; i < v16.size(); i++) {
      dot += v16.get(i).getAsDouble() * v32.get(i).getAsDouble();
    }
    assertTrue(dot >= 0.999, "cosine of the bf16 and fp32 embeddings: " + dot);

    CliRun.Result info = CliRun.run("info", "--precision", "auto");
    assertEquals(0, info.code(), info.err());
    assertTrue(
        info.out().contains("precision: " + org.fedpeft.model.Precision.choose("auto").describe()),
        info.out());
    assertTrue(
        info.out().contains("fp32 kernels: " + org.fedpeft.engine.MklDispatch.status()),
        info.out());
  }

  /**
   * train --precision auto: the model line names the resolved precision once, without auto's reason
   * (printed on a line of its own on the command's standard error, as eval --precision auto does
   * too); summary.json records the bare resolved precision, the same after a --resume; the adapter
   * folder records it, and eval, embed and retrieve computing in the other precision print one note
   * (none in the same precision, or for an adapter folder written before precision was recorded).
   * Independent of what auto picks on this CPU.
   */
  @Test
  void autoPrecisionIsRecordedBareAndTheAdapterCarriesIt() throws Exception {
    String picked = org.fedpeft.model.Precision.choose("auto").precision().label();
    String other = picked.equals("bf16") ? "fp32" : "bf16";
    Path data = tmp.resolve("train-auto.jsonl");
    List<String> lines = new ArrayList<>();
    String[] words = {"apple banana cherry", "hammer nail saw", "run jump swim"};
    for (int i = 0; i < 60; i++) {
      lines.add("{\"text\": \"" + words[i % 3] + " " + i + "\", \"label\": \"c" + (i % 3) + "\"}");
    }
    Files.write(data, lines);
    Path out = tmp.resolve("run-auto");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            tinyModel.toString(),
            "--precision",
            "auto",
            "--data",
            data.toString(),
            "--steps",
            "10",
            "--checkpoint-every",
            "5",
            "--batch-size",
            "8",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    String modelLine =
        r.err().lines().filter(l -> l.startsWith("model: ")).findFirst().orElse(r.err());
    assertTrue(modelLine.contains(" (" + picked + "); adapter: "), modelLine);
    assertFalse(modelLine.contains("auto"), modelLine);
    String pickLine = "model precision: " + org.fedpeft.model.Precision.choose("auto").describe();
    assertEquals(1, r.err().lines().filter(pickLine::equals).count(), r.err());
    Path summaryFile = out.resolve("summary.json");
    JsonObject summary = JsonParser.parseString(Files.readString(summaryFile)).getAsJsonObject();
    assertEquals(picked, summary.get("precision").getAsString());
    JsonObject adapterJson =
        JsonParser.parseString(Files.readString(out.resolve("adapter/fedpeft_adapter.json")))
            .getAsJsonObject();
    assertEquals(picked, adapterJson.get("precision").getAsString());

    // The same run resumed from its checkpoint after step 5 records the same precision.
    Files.delete(summaryFile);
    try (var files = Files.walk(out.resolve("adapter"))) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
    CliRun.Result resumed = CliRun.run("train", "--resume", out.toString());
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(resumed.err().contains("after step 5 of 10"), resumed.err());
    JsonObject again = JsonParser.parseString(Files.readString(summaryFile)).getAsJsonObject();
    assertEquals(5, again.get("resumed_after_step").getAsInt());
    assertEquals(picked, again.get("precision").getAsString());

    String note =
        "note: this adapter was trained with "
            + (picked.equals("fp32") ? "an " : "a ")
            + picked
            + " frozen base (this command computes in "
            + other
            + "); --precision "
            + picked
            + " reproduces the run's figures";
    String adapter = out.resolve("adapter").toString();
    Path corpus = tmp.resolve("auto-corpus.jsonl");
    Files.write(
        corpus,
        List.of(
            "{\"id\": \"d1\", \"text\": \"apple banana\"}",
            "{\"id\": \"d2\", \"text\": \"hammer nail\"}"));
    String[] evalArgs = {
      "eval", adapter, "--model", tinyModel.toString(), "--data", data.toString()
    };
    for (String p : List.of(picked, other)) {
      List<String[]> runs =
          List.of(
              concat(evalArgs, "--precision", p),
              new String[] {
                "embed",
                "--model",
                tinyModel.toString(),
                "--adapter",
                adapter,
                "--precision",
                p,
                "x"
              },
              new String[] {
                "retrieve",
                "--model",
                tinyModel.toString(),
                "--adapter",
                adapter,
                "--method",
                "mips",
                "--corpus",
                corpus.toString(),
                "--precision",
                p,
                "apple"
              });
      for (String[] args : runs) {
        CliRun.Result c = CliRun.run(args);
        assertEquals(0, c.code(), args[0] + ": " + c.err());
        assertEquals(
            p.equals(other) ? 1 : 0,
            c.err().lines().filter(note::equals).count(),
            args[0] + " --precision " + p + ": " + c.err());
      }
    }

    CliRun.Result auto = CliRun.run(concat(evalArgs, "--precision", "auto"));
    assertEquals(0, auto.code(), auto.err());
    assertEquals(1, auto.err().lines().filter(pickLine::equals).count(), auto.err());

    // An adapter folder written before precision was recorded: no note.
    adapterJson.remove("precision");
    Files.writeString(out.resolve("adapter/fedpeft_adapter.json"), adapterJson.toString());
    CliRun.Result old = CliRun.run(concat(evalArgs, "--precision", other));
    assertEquals(0, old.code(), old.err());
    assertFalse(old.err().contains("note: this adapter was trained"), old.err());
  }

  private static String[] concat(String[] head, String... tail) {
    String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, all, head.length, tail.length);
    return all;
  }

  /**
   * Multi-task data (rows with a "task"): train gives one head per task and reports each task's
   * accuracy; eval on the saved adapter reproduces the overall and per-task figures.
   */
  @Test
  void trainThenEvalOnMultiTaskData() throws Exception {
    Path data = tmp.resolve("multi.jsonl");
    List<String> lines = new ArrayList<>();
    String[] a = {"apple banana cherry", "hammer nail saw"};
    String[] b = {"run jump swim", "red blue green", "one two three"};
    for (int i = 0; i < 60; i++) {
      lines.add(
          "{\"text\": \""
              + a[i % 2]
              + " "
              + i
              + "\", \"label\": \"a"
              + (i % 2)
              + "\", \"task\": \"first\"}");
      lines.add(
          "{\"text\": \""
              + b[i % 3]
              + " "
              + i
              + "\", \"label\": \"b"
              + (i % 3)
              + "\", \"task\": \"second\"}");
    }
    Files.write(data, lines);
    Path out = tmp.resolve("multi-run");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            tinyModel.toString(),
            "--data",
            data.toString(),
            "--steps",
            "20",
            "--batch-size",
            "8",
            "--lr",
            "5e-3",
            "--eval-every",
            "0",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    JsonObject perTask = summary.getAsJsonObject("test_metrics");
    assertTrue(perTask.has("accuracy.first") && perTask.has("accuracy.second"), perTask.toString());
    JsonObject saved =
        JsonParser.parseString(Files.readString(out.resolve("adapter/fedpeft_adapter.json")))
            .getAsJsonObject();
    assertEquals("[\"a0\",\"a1\"]", saved.getAsJsonObject("task_labels").get("first").toString());

    CliRun.Result ev =
        CliRun.run(
            "eval",
            out.resolve("adapter").toString(),
            "--model",
            tinyModel.toString(),
            "--data",
            data.toString());
    assertEquals(0, ev.code(), ev.err());
    String expected =
        String.format(
            java.util.Locale.ROOT,
            "test accuracy: %.4f",
            summary.get("test_accuracy").getAsDouble());
    assertTrue(ev.out().startsWith(expected), ev.out() + " vs " + expected);
    assertTrue(
        ev.out()
            .contains(
                String.format(
                    java.util.Locale.ROOT,
                    "  second: %.4f",
                    perTask.get("accuracy.second").getAsDouble())),
        ev.out());
  }

  @Test
  void trainOnABundledTaskIsDeterministic() throws Exception {
    String[] args = {
      "train",
      "--model",
      tinyModel.toString(),
      "--task",
      "wordnet-pos",
      "--max-train",
      "64",
      "--max-eval",
      "32",
      "--steps",
      "6",
      "--batch-size",
      "8",
      "--eval-every",
      "0",
      "--out",
      ""
    };
    args[args.length - 1] = tmp.resolve("pos1").toString();
    assertEquals(0, CliRun.run(args).code());
    args[args.length - 1] = tmp.resolve("pos2").toString();
    assertEquals(0, CliRun.run(args).code());
    assertEquals(
        -1L,
        Files.mismatch(
            tmp.resolve("pos1/adapter/adapter_model.safetensors"),
            tmp.resolve("pos2/adapter/adapter_model.safetensors")));
    assertEquals(
        -1L,
        Files.mismatch(
            tmp.resolve("pos1/adapter/head.safetensors"),
            tmp.resolve("pos2/adapter/head.safetensors")));
  }

  /**
   * Issue 15: "train --dp-epsilon ... stopped after 0 steps ... test accuracy ... after 40 steps,
   * exit 0": the stop reports the steps really taken (here 5: the budget lies between the epsilon
   * of 5 and of 6 steps at q = 8/64, sigma 1).
   */
  @Test
  void trainWithDpSgdReportsEpsilonAndStopsAtTheBudget() throws Exception {
    double five = new org.fedpeft.privacy.RdpAccountant().step(8.0 / 64, 1.0, 5).getEpsilon(1e-5);
    double six = new org.fedpeft.privacy.RdpAccountant().step(8.0 / 64, 1.0, 6).getEpsilon(1e-5);
    Path out = tmp.resolve("dp");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            tinyModel.toString(),
            "--task",
            "wordnet-pos",
            "--max-train",
            "64",
            "--max-eval",
            "16",
            "--steps",
            "50",
            "--batch-size",
            "8",
            "--eval-every",
            "2",
            "--dp-noise",
            "1.0",
            "--dp-epsilon",
            Double.toString((five + six) / 2),
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("privacy: epsilon"), r.out());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(five, summary.get("epsilon").getAsDouble(), 1e-9);
    assertEquals(5, summary.get("steps_taken").getAsInt(), summary.toString());
    assertTrue(r.err().contains("stopped after 5 of 50 steps: the privacy budget"), r.err());
    // QA (budget stop): the run ends as a run of 5 steps would, and says why on each output.
    assertTrue(
        r.out().contains("after 5 of 50 steps (stopped early: the privacy budget is spent)"),
        r.out());
    assertTrue(
        summary
            .get("stopped_early")
            .getAsString()
            .startsWith("privacy budget spent after step 5 of 50: step 6 would bring epsilon to"),
        summary.toString());
    // The progress bar ends at step 5 with the reason and the time taken, on a line of its own.
    assertTrue(
        r.err()
            .lines()
            .anyMatch(l -> l.matches("train \\[.*\\] 5/50 stopped: privacy budget.*took.*")),
        r.err());
    // DP-SGD training evaluates every --eval-every steps as ordinary training does, and its last
    // step once (the adapter saved), as a run that takes all its steps does.
    List<Integer> evaluated = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (o.get("event").getAsString().equals("validation")) {
        evaluated.add(o.get("step").getAsInt());
      }
    }
    assertEquals(List.of(2, 4, 5), evaluated);
    // The run is finished: --resume is refused, saying that the budget ended it.
    CliRun.Result resumed = CliRun.run("train", "--resume", out.toString());
    assertEquals(2, resumed.code(), resumed.err());
    assertTrue(
        resumed
            .err()
            .contains(
                "holds a finished train run (summary.json), stopped early: privacy budget spent"
                    + " after step 5 of 50"),
        resumed.err());
  }

  @Test
  void embedPrintsOneUnitVectorPerText() {
    CliRun.Result r = CliRun.run("embed", "a cat", "a dog sat on the mat");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size());
    for (String line : lines) {
      var arr = JsonParser.parseString(line).getAsJsonArray();
      assertEquals(384, arr.size());
      double norm = 0;
      for (var v : arr) {
        norm += v.getAsDouble() * v.getAsDouble();
      }
      assertEquals(1.0, norm, 1e-4);
    }
  }

  @Test
  void infoCountsTrainableParameters() {
    CliRun.Result r =
        CliRun.run("info", "--adapter-options", "rank=8,targets=query+value", "--labels", "25");
    assertEquals(0, r.code(), r.err());
    // 6 layers x 2 modules x (8x384 + 384x8) = 73,728; head 25 x 384 + 25 = 9,625.
    assertTrue(r.out().contains("adapter parameters: 73,728 (trainable 73,728)"), r.out());
    assertTrue(r.out().contains("trainable parameters: 83,353"), r.out());
    assertTrue(
        r.out().contains("upload per round (budget 1.0): adapter 73,728 + head 9,625"), r.out());
    assertTrue(r.out().contains("adapter: lora {rank=8, targets=query+value}, "), r.out());
    // QA, 2 December: without options it printed "adapter: lora {}"
    r = CliRun.run("info");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("adapter: lora (default options), "), r.out());
  }

  @Test
  void infoCountsRavanUploadsByBudgetAndMatchesLoraRank() {
    // LoRA rank 8 on 384 x 384 query and value: 8 x 768 = 6,144 per module; 4 heads of rank 39
    // upload 4 x 39^2 = 6,084 (40^2 x 4 = 6,400 would be more).
    CliRun.Result r =
        CliRun.run(
            "info",
            "--adapter",
            "ravan",
            "--adapter-options",
            "heads=4,rank=39,targets=query+value",
            "--budget",
            "0.5",
            "--match-lora-rank",
            "8");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("4 head(s) of rank 39 upload 6,084"), r.out());
    // 12 modules x 2 of 4 heads x 39^2 = 36,504.
    assertTrue(r.out().contains("upload per round (budget 0.5): adapter 36,504 + head"), r.out());
    // QA, 2 December: --match-lora-rank 0 (and the option without an adapter) was ignored
    String[][] refused = {
      {"--adapter", "ravan", "--match-lora-rank", "0"},
      {"--adapter", "none", "--match-lora-rank", "8"},
      {"--match-lora-rank", "8"},
    };
    String[] says = {
      "--match-lora-rank must be at least 1, got 0",
      "--match-lora-rank needs --adapter ravan or fed-sb",
      "--match-lora-rank applies to ravan and fed-sb, not lora"
    };
    for (int i = 0; i < refused.length; i++) {
      List<String> args = new java.util.ArrayList<>(List.of("info"));
      args.addAll(List.of(refused[i]));
      r = CliRun.run(args.toArray(new String[0]));
      assertEquals(2, r.code(), r.err());
      assertTrue(
          r.err().contains("--match-lora-rank " + says[i]) || r.err().contains(says[i]), r.err());
      assertEquals("", r.out(), "refused before anything is printed");
    }
  }

  /**
   * User audit: "info --strategy fedit --budget 0.5" printed the model and "adapter: ..." to stdout
   * and only then exited 2. The options are checked before anything is printed.
   */
  @Test
  void infoRefusesABadStrategyBeforePrintingAnything() {
    String[][] refused = {
      {"--strategy", "fedit", "--budget", "0.5"},
      {"--adapter", "ravan", "--strategy", "hetlora"},
    };
    String[] says = {
      "--strategy counts the strategies that allocate by budget: hetlora and flexlora (LoRA"
          + " ranks) and fedbe (blocks), not fedit",
      "--strategy hetlora needs --adapter lora",
    };
    for (int i = 0; i < refused.length; i++) {
      List<String> args = new java.util.ArrayList<>(List.of("info"));
      args.addAll(List.of(refused[i]));
      CliRun.Result r = CliRun.run(args.toArray(new String[0]));
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains(says[i]), r.err());
      assertEquals("", r.out(), "nothing printed before the refusal");
    }
  }

  @Test
  void infoCountsARankHeterogeneousLoraClientAtItsBudgetsRank() {
    // Rank 8 at budget 0.25: rank 2; 12 modules x 2 x (384 + 384) = 18,432.
    CliRun.Result r =
        CliRun.run(
            "info",
            "--adapter-options",
            "rank=8,targets=query+value",
            "--budget",
            "0.25",
            "--strategy",
            "hetlora");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("upload per round (budget 0.25): adapter 18,432 + head"), r.out());
  }

  /**
   * QA: info --budget with a method and strategy that ignore budgets (LoRA without --strategy, a
   * one-head Ravan, hetlora on LoRA rank 1, FedBE, no adapter) printed the full upload as the
   * budget's, where simulate refuses client.budgets. Refused before anything is printed, naming
   * what stops it; --budget left out still counts the full upload.
   */
  @Test
  void infoRefusesABudgetThatChangesNothing() {
    String[][] refused = {
      {"--adapter-options", "rank=8,targets=query+value", "--budget", "0.25"},
      {"--adapter", "ravan", "--adapter-options", "heads=1", "--budget", "0.5"},
      {"--adapter-options", "rank=1", "--strategy", "hetlora", "--budget", "0.5"},
      {"--adapter", "fedbe", "--budget", "0.5"},
      {"--adapter", "none", "--budget", "0.5"},
    };
    String[] says = {
      "--budget 0.25 does nothing here: a client of --adapter lora without --strategy uploads the"
          + " same at every budget",
      "--budget 0.5 does nothing here: with --adapter-options heads=1 a client of ravan without"
          + " --strategy uploads the same at every budget",
      "--budget 0.5 does nothing here: with --adapter-options rank=1 a client of --strategy"
          + " hetlora uploads the same at every budget",
      "--budget 0.5 does nothing with --adapter fedbe",
      "--budget 0.5 does nothing here: a client of --adapter none without --strategy",
    };
    for (int i = 0; i < refused.length; i++) {
      List<String> args = new java.util.ArrayList<>(List.of("info"));
      args.addAll(List.of(refused[i]));
      CliRun.Result r = CliRun.run(args.toArray(new String[0]));
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains(says[i]), r.err());
      assertEquals("", r.out(), "nothing printed before the refusal");
    }
    CliRun.Result plain = CliRun.run("info", "--adapter-options", "rank=8,targets=query+value");
    assertTrue(
        plain.out().contains("upload per round (budget 1.0): adapter 73,728 + head"), plain.out());
  }
}
