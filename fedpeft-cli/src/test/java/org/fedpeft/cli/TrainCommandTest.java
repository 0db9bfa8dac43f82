package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedpeft.io.RunFolder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft train}'s handling of option combinations (QA of the train command, 3 December).
 */
class TrainCommandTest {

  @TempDir static Path tmp;
  static Path tinyModel;
  static Path data;
  static Path corpus;
  static Path queries;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    tinyModel = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    // 60 examples of three labels: 48 train / 6 validation / 6 test.
    data = tmp.resolve("train.jsonl");
    List<String> lines = new ArrayList<>();
    String[] words = {"apple banana cherry", "hammer nail saw", "run jump swim"};
    for (int i = 0; i < 60; i++) {
      lines.add("{\"text\": \"" + words[i % 3] + " " + i + "\", \"label\": \"c" + (i % 3) + "\"}");
    }
    Files.write(data, lines);
    // retrieval data: three documents, 60 queries naming them
    corpus = tmp.resolve("corpus.jsonl");
    List<String> docs = new ArrayList<>();
    List<String> asks = new ArrayList<>();
    for (int d = 0; d < 3; d++) {
      docs.add("{\"id\": \"d" + d + "\", \"text\": \"" + words[d] + "\"}");
    }
    for (int i = 0; i < 60; i++) {
      asks.add("{\"text\": \"" + words[i % 3] + " " + i + "\", \"doc\": \"d" + (i % 3) + "\"}");
    }
    Files.write(corpus, docs);
    queries = tmp.resolve("queries.jsonl");
    Files.write(queries, asks);
  }

  /**
   * train on the tiny model and the 60 examples, 2 steps of 8 without periodic evaluation unless
   * {@code more} gives --data, --steps or --batch-size, plus {@code more}.
   */
  private static CliRun.Result train(Path out, String... more) {
    List<String> given = List.of(more);
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "train",
            "--model",
            tinyModel.toString(),
            "--eval-every",
            "0",
            "--out",
            out.toString()));
    for (String[] d :
        new String[][] {{"--data", data.toString()}, {"--steps", "2"}, {"--batch-size", "8"}}) {
      if (!given.contains(d[0])) {
        args.addAll(List.of(d));
      }
    }
    args.addAll(given);
    return CliRun.run(args.toArray(new String[0]));
  }

  private static JsonObject json(Path file) throws Exception {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  /**
   * QA: --batch-size 400 on 200 examples printed q = 400/200 with DP-SGD (whose noisy sum was
   * divided by 400, not by the ~200 examples a batch held). The batch is capped at the training
   * set's size, with a note, with and without DP-SGD alike.
   */
  @Test
  void aBatchLargerThanTheTrainingSetIsCappedWithANote() throws Exception {
    String note = "note: --batch-size 100 is more than the 48 training examples, so each step's";
    Path plain = tmp.resolve("capped");
    CliRun.Result r = train(plain, "--batch-size", "100");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains(note), r.err());
    assertEquals(48, json(plain.resolve("summary.json")).get("batch_size").getAsInt());

    Path dp = tmp.resolve("capped-dp");
    r = train(dp, "--batch-size", "100", "--dp-noise", "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains(note), r.err());
    assertTrue(r.err().contains("sampling rate q = 1"), r.err());
    assertTrue(r.out().contains("q = 48/48)"), r.out());
    assertEquals(48, json(dp.resolve("summary.json")).get("batch_size").getAsInt());

    // A batch that fits gets no note.
    r = train(tmp.resolve("fits"));
    assertEquals(0, r.code(), r.err());
    assertFalse(r.err().contains("--batch-size"), r.err());
  }

  /**
   * QA: --dp-noise 0 printed "epsilon Infinity" and summary.json then had no epsilon and nothing
   * else about privacy. As simulate does with a noise multiplier of 0, a budget is refused (it can
   * never be met), and a run without one says it is not private, on stderr, stdout and in
   * summary.json ("private": false, as simulate's summary).
   */
  @Test
  void noiseZeroIsRefusedWithABudgetAndRecordedAsNotPrivate() throws Exception {
    CliRun.Result r = train(tmp.resolve("noise0-budget"), "--dp-noise", "0", "--dp-epsilon", "8");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "fedpeft train: --dp-noise 0 adds no noise, so the budget --dp-epsilon 8.0 can"
                    + " never be met"),
        r.err());
    assertFalse(Files.exists(tmp.resolve("noise0-budget")), "refused before the folder is used");

    Path out = tmp.resolve("noise0");
    r = train(out, "--dp-noise", "0");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.err().contains("is NOT private: --dp-noise 0 adds no noise to the gradients, so"),
        r.err());
    assertTrue(
        r.out().contains("privacy: NOT private: --dp-noise 0 adds no noise to the gradients"),
        r.out());
    JsonObject summary = json(out.resolve("summary.json"));
    assertFalse(summary.get("private").getAsBoolean(), summary.toString());
    assertTrue(
        summary.get("epsilon_note").getAsString().contains("epsilon is infinite"),
        summary.toString());
    // Audit: summary.json recorded "delta" although no epsilon exists for it to qualify.
    assertFalse(summary.has("epsilon"), summary.toString());
    assertFalse(summary.has("delta"), summary.toString());

    Path noisy = tmp.resolve("noise1");
    r = train(noisy, "--dp-noise", "1");
    assertEquals(0, r.code(), r.err());
    summary = json(noisy.resolve("summary.json"));
    assertTrue(summary.get("private").getAsBoolean(), summary.toString());
    assertTrue(summary.get("epsilon").getAsDouble() > 0, summary.toString());
    assertEquals(1e-5, summary.get("delta").getAsDouble(), 0, summary.toString());
  }

  /**
   * QA: options that do nothing with the others given were silently accepted. Each is refused
   * before the run folder is used, naming the option and why; --adapter-options given twice was
   * already refused by the parser.
   */
  @Test
  void optionsThatDoNothingAreRefusedNamingTheOption() {
    Object[][] cases = {
      {new String[] {"--temperature", "0.1"}, "--temperature is the contrastive objective's"},
      {new String[] {"--head-scale", "5"}, "--head-scale is the length of the head's rows"},
      {
        new String[] {"--adapter", "none", "--adapter-options", "rank=4"},
        "--adapter-options rank=4: --adapter none trains no adapter"
      },
      {
        new String[] {"--adapter-options", "rank=4,alpha=8,rank=2"},
        "--adapter-options: adapter option \"rank\" is given twice (rank=4 and rank=2)"
      },
      {
        new String[] {"--adapter-options", "rank=4", "--adapter-options", "rank=2"},
        "option '--adapter-options' (K=V,...) should be specified only once"
      },
      {
        new String[] {"--adapter", "softembed", "--adapter-options", "rank=4"},
        "--adapter-options rank=4 does nothing with --adapter softembed and form=linear: rank is"
            + " the inner width of the lowrank and mlp forms"
      },
      {
        // The method itself is refused (FedDpaCentralisedTrainRefusedTest), before its options.
        new String[] {"--adapter", "feddpa", "--adapter-options", "variant=F,local_share=0.3"},
        "--adapter feddpa cannot be trained centralised (train): "
      },
    };
    int n = 0;
    for (Object[] c : cases) {
      String[] args = (String[]) c[0];
      Path out = tmp.resolve("unused-" + n++);
      CliRun.Result r = train(out, args);
      assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().contains((String) c[1]), r.err());
      assertFalse(Files.exists(out), out + " was created");
    }
    // info takes --adapter and --adapter-options too.
    CliRun.Result info =
        CliRun.run("info", "--adapter", "none", "--adapter-options", "rank=4", "-m", "x");
    assertEquals(2, info.code(), info.err());
    assertTrue(info.err().contains("--adapter none trains no adapter"), info.err());
    info =
        CliRun.run(
            "info", "--adapter", "softembed", "--adapter-options", "form=linear,rank=4", "-m", "x");
    assertEquals(2, info.code(), info.err());
    assertTrue(
        info.err()
            .contains(
                "--adapter-options rank=4 does nothing with --adapter softembed and form=linear"),
        info.err());
    assertTrue(info.err().contains("give form=lowrank or form=mlp, or leave out rank"), info.err());
  }

  /**
   * QA: --adapter none wrote an empty PEFT export (a LoRA of rank 1 on no module); the folder now
   * holds the fedpeft files and the head only, and eval and embed read it. A LoRA run's PEFT config
   * writes its float32 dropout as 0.05 (it was 0.05000000074505806).
   */
  @Test
  void aHeadWithoutAnAdapterHasNoPeftFilesAndStillEvaluates() throws Exception {
    Path out = tmp.resolve("head-only");
    CliRun.Result r = train(out, "--adapter", "none");
    assertEquals(0, r.code(), r.err());
    Path adapter = out.resolve("adapter");
    assertTrue(Files.isRegularFile(adapter.resolve("fedpeft_adapter.json")));
    assertTrue(Files.isRegularFile(adapter.resolve("head.safetensors")));
    assertFalse(Files.exists(adapter.resolve("adapter_config.json")));
    assertFalse(Files.exists(adapter.resolve("adapter_model.safetensors")));
    double acc = json(out.resolve("summary.json")).get("test_accuracy").getAsDouble();
    CliRun.Result ev =
        CliRun.run(
            "eval", adapter.toString(), "--model", tinyModel.toString(), "--data", data.toString());
    assertEquals(0, ev.code(), ev.err());
    assertTrue(
        ev.out().startsWith(String.format(java.util.Locale.ROOT, "test accuracy: %.4f", acc)),
        ev.out() + " vs " + acc);
    CliRun.Result em =
        CliRun.run("embed", "--model", tinyModel.toString(), "--adapter", adapter.toString(), "a");
    assertEquals(0, em.code(), em.err());

    Path lora = tmp.resolve("lora-dropout");
    r = train(lora, "--adapter-options", "rank=2,alpha=0.3,dropout=0.05");
    assertEquals(0, r.code(), r.err());
    String peft = Files.readString(lora.resolve("adapter/adapter_config.json"));
    assertTrue(peft.contains("\"lora_dropout\": 0.05,"), peft);
    assertTrue(peft.contains("\"lora_alpha\": 0.3,"), peft);
  }

  /**
   * QA: a resume did not notice an edited train.json (the record of the run's options) and
   * continued the checkpoint with other options. The checkpoint keeps train.json's start copy; a
   * resume names the first differing option and both values, as simulate's does for config.json.
   */
  @Test
  void aResumeRefusesAnEditedTrainJson() throws Exception {
    Path out = tmp.resolve("edited");
    CliRun.Result r = train(out, "--steps", "4", "--checkpoint-every", "2");
    assertEquals(0, r.code(), r.err());
    Files.delete(out.resolve("summary.json")); // as if interrupted after the checkpoint of step 2
    Path record = out.resolve("train.json");
    String started = Files.readString(record);
    assertTrue(started.contains("\"--steps\",\"4\""), started);
    Files.writeString(record, started.replace("\"--steps\",\"4\"", "\"--steps\",\"6\""));
    assertResumeRefused(
        out,
        record
            + ": --steps is \"6\", but the checkpoint (checkpoint/train-state.safetensors)"
            + " recorded \"4\" when the run started",
        "--steps edited");

    Files.writeString(record, started);
    CliRun.Result resumed = CliRun.run("train", "--resume", out.toString());
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(resumed.err().contains("after step 2 of 4"), resumed.err());
  }

  /**
   * QA (audit of the CLI): a train.json without its "cwd", or with an array for it, failed the
   * resume with exit 1 (a NullPointerException, or Gson's error naming no file), as if fedpeft had
   * a bug. It is bad input naming the file, exit 2, as a train.json whose "args" do not parse; a
   * cut-off file says so without Gson's exception names ("java.io.EOFException: ...").
   */
  @Test
  void aResumeOfADamagedTrainJsonNamesTheFile() throws Exception {
    Path out = tmp.resolve("damaged");
    CliRun.Result r = train(out, "--steps", "4", "--checkpoint-every", "2");
    assertEquals(0, r.code(), r.err());
    Files.delete(out.resolve("summary.json")); // as if interrupted after the checkpoint of step 2
    Path record = out.resolve("train.json");
    JsonObject started = json(record);
    for (String[] damage : new String[][] {{"cwd", null}, {"cwd", "[]"}}) {
      JsonObject edited = started.deepCopy();
      edited.remove(damage[0]);
      if (damage[1] != null) {
        edited.add(damage[0], JsonParser.parseString(damage[1]));
      }
      Files.writeString(record, edited.toString());
      assertResumeRefused(
          out,
          record + ": not a valid train.json: \"cwd\" must be a string",
          damage[0] + " " + damage[1]);
    }
    // A cut-off file is named with the JSON error alone, without Gson's exception names.
    Files.writeString(record, "{\"args\": ");
    assertResumeRefused(
        out, record + ": not a valid train.json: not valid JSON: End of input", "cut off");
    assertFalse(
        CliRun.run("train", "--resume", out.toString()).err().contains("Exception"),
        "Gson's exception names are left out");
  }

  /**
   * QA (leftovers): a train.json whose "data" (the split hashes a resume compares) is not an
   * object, or holds a hash that is not a string, failed a resume without a checkpoint with exit 1
   * (Gson's "Not a JSON Object", naming no file). It is bad input naming the file and the member,
   * exit 2, as a damaged "cwd" is.
   */
  @Test
  void aResumeOfATrainJsonWithDamagedDataNamesTheFileAndMember() throws Exception {
    Path out = tmp.resolve("damaged-data");
    CliRun.Result r = train(out);
    assertEquals(0, r.code(), r.err());
    Files.delete(out.resolve("summary.json")); // as if interrupted before any checkpoint
    Path record = out.resolve("train.json");
    JsonObject started = json(record);
    assertTrue(started.get("data").isJsonObject(), started.toString());
    for (String[] damage :
        new String[][] {
          {"[]", "\"data\" must be an object, got []"},
          {"\"x\"", "\"data\" must be an object, got \"x\""},
          {"{\"train_sha256\": []}", "\"data.train_sha256\" must be a string, got []"}
        }) {
      JsonObject edited = started.deepCopy();
      edited.add("data", JsonParser.parseString(damage[0]));
      Files.writeString(record, edited.toString());
      assertResumeRefused(out, record + ": not a valid train.json: " + damage[1], damage[0]);
    }
    Files.writeString(record, started.toString());
    CliRun.Result resumed = CliRun.run("train", "--resume", out.toString());
    assertEquals(0, resumed.code(), resumed.err());
  }

  /**
   * QA (leftovers): a train.json that is not UTF-8 failed the resume with exit 1 (Java's
   * MalformedInputException, naming no file). It is bad input naming the file and the byte, exit 2,
   * read as data files are.
   */
  @Test
  void aResumeOfATrainJsonThatIsNotUtf8NamesTheFile() throws Exception {
    Path out = tmp.resolve("not-utf8");
    CliRun.Result r = train(out);
    assertEquals(0, r.code(), r.err());
    Files.delete(out.resolve("summary.json")); // as if interrupted
    Path record = out.resolve("train.json");
    byte[] started = Files.readAllBytes(record);
    byte[] damaged = Arrays.copyOf(started, started.length + 1);
    damaged[started.length] = damaged[started.length - 1]; // the line end
    damaged[started.length - 1] = damaged[started.length - 2]; // the closing brace
    damaged[started.length - 2] = (byte) 0xFF; // never in UTF-8
    Files.write(record, damaged);
    assertResumeRefused(
        out,
        record
            + ": not a valid train.json: not valid UTF-8 (byte "
            + (started.length - 1)
            + " of the file)",
        "a byte 0xFF");
    Files.write(record, started);
    CliRun.Result resumed = CliRun.run("train", "--resume", out.toString());
    assertEquals(0, resumed.code(), resumed.err());
  }

  /**
   * Resumes the run in {@code out} and checks that it is refused as bad input (exit 2) with an
   * error containing {@code expected}; {@code damage} says what was done to the folder.
   */
  private static void assertResumeRefused(Path out, String expected, String damage) {
    CliRun.Result resumed = CliRun.run("train", "--resume", out.toString());
    assertEquals(2, resumed.code(), damage + ": " + resumed.err());
    assertTrue(resumed.err().contains(expected), damage + ": " + resumed.err());
  }

  /**
   * QA (leftovers): README's Commands row for train named adapter/, metrics.jsonl, summary.json and
   * "a checkpoint", but not timings.jsonl and train.json, which --help names and the run writes.
   * Every file and folder a run with checkpoints leaves (the folder's lock aside) is in the row,
   * and in --help's description (which now names checkpoint/ too).
   */
  @Test
  void theReadmeAndHelpNameEveryFileATrainRunWrites() throws Exception {
    Path out = tmp.resolve("listed");
    CliRun.Result r = train(out, "--steps", "4", "--checkpoint-every", "2");
    assertEquals(0, r.code(), r.err());
    List<String> written = new ArrayList<>();
    try (var files = Files.list(out)) {
      files
          .filter(f -> !f.getFileName().toString().equals(RunFolder.LOCK_FILE))
          .forEach(f -> written.add(f.getFileName() + (Files.isDirectory(f) ? "/" : "")));
    }
    String row =
        Files.readAllLines(Path.of("..", "README.md")).stream()
            .filter(l -> l.startsWith("| `./fedpeft train`"))
            .findFirst()
            .orElseThrow();
    String help = CliRun.run("train", "--help").out().replaceAll("\\s+", " ");
    for (String name : written) {
      assertTrue(row.contains("`" + name + "`"), name + " is not in README's row: " + row);
      assertTrue(help.contains(name), name + " is not in train --help: " + help);
    }
  }

  /**
   * QA (bounds): more options that did nothing with the others given, accepted silently: the head's
   * options with --objective contrastive (the head is neither trained nor used), --lr beside
   * --head-lr with --adapter none (only the head trains), --max-grad-norm with DP-SGD (which clips
   * per example to --dp-clip), --dp-delta with --dp-noise 0 (no epsilon to report), --task with
   * --data, a --warmup that rounds to 0 steps, a --checkpoint-every that never saves. Each is
   * refused before the run folder is used, naming the option and why.
   */
  @Test
  void moreOptionsThatDoNothingAreRefused() {
    Object[][] cases = {
      {
        retrieval("--objective", "contrastive", "--head-lr", "1e-2"),
        "--head-lr is about the classification head, and --objective contrastive trains the"
            + " adapter only"
      },
      {
        retrieval("--objective", "contrastive", "--head-init", "documents"),
        "--head-init is about the classification head"
      },
      {
        new String[] {"--adapter", "none", "--lr", "1e-3", "--head-lr", "1e-2"},
        "--lr is the learning rate of the adapter, and --adapter none has no adapter"
      },
      {
        new String[] {"--dp-noise", "1", "--max-grad-norm", "0.5"},
        "--max-grad-norm clips the batch's gradient in ordinary training, and DP-SGD"
      },
      {
        new String[] {"--dp-noise", "0", "--dp-delta", "1e-6"},
        "--dp-delta is the delta of the reported epsilon, and --dp-noise 0 adds no noise"
      },
      {
        new String[] {"--task", "wordnet-noun-topic"}, "--task wordnet-noun-topic does nothing with"
      },
      {new String[] {"--warmup", "0.06"}, "--warmup 0.06 of --steps 2 rounds to 0 warm-up steps"},
      {
        new String[] {"--checkpoint-every", "2"},
        "--checkpoint-every 2 saves no checkpoint in a run of --steps 2 without --dp-noise"
      },
    };
    int n = 0;
    List<String> problems = new ArrayList<>(); // every case checked, each one reported
    for (Object[] c : cases) {
      String[] args = (String[]) c[0];
      Path out = tmp.resolve("unused-more-" + n++);
      CliRun.Result r = train(out, args);
      if (r.code() != 2
          || r.err().strip().lines().count() != 1
          || !r.err().contains((String) c[1])
          || Files.exists(out)) {
        problems.add(String.join(" ", args) + " -> exit " + r.code() + ": " + r.err().strip());
      }
    }
    assertEquals(List.of(), problems);
    // each alone, or where it acts, is accepted: --head-lr with a head, --lr alone with none,
    // a warm-up of one step, a checkpoint before the last step
    CliRun.Result r =
        train(
            tmp.resolve("used-1"),
            "--adapter",
            "none",
            "--head-lr",
            "1e-2",
            "--warmup",
            "0.25",
            "--checkpoint-every",
            "1");
    assertEquals(0, r.code(), r.err());
  }

  /**
   * QA: --checkpoint-every N >= --steps was refused as saving no checkpoint, but under DP-SGD any N
   * > 0 also checkpoints each evaluated step, the last included, before its evaluation is written:
   * accepted there, and the run's last step is in its checkpoint.
   */
  @Test
  void checkpointEveryBeyondTheStepsIsAcceptedUnderDpSgd() throws Exception {
    Path out = tmp.resolve("dp-checkpoint-every");
    CliRun.Result r = train(out, "--dp-noise", "1", "--checkpoint-every", "2");
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.exists(out.resolve("checkpoint/train-state.safetensors")), r.err());
  }

  /**
   * QA: --help said "none is saved after the last step" of every run, and then that under
   * --dp-noise one is saved at the last step: the first holds without --dp-noise only.
   */
  @Test
  void theHelpSaysThatOnlyWithoutDpSgdNoCheckpointFollowsTheLastStep() {
    CliRun.Result help = CliRun.run("train", "--help");
    assertEquals(0, help.code(), help.err());
    String flat = help.out().replaceAll("\\s+", " ");
    assertTrue(
        flat.contains(
            "0: none. Without --dp-noise none is saved after the last step (it writes the"
                + " result), so a given N must be below --steps. With --dp-noise and N > 0, also"
                + " at each evaluated step (--eval-every, the last step, a stop by the budget)"),
        flat);
  }

  /** {@code more} on the retrieval data: the queries with --corpus. */
  private static String[] retrieval(String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data", queries.toString(), "--corpus", corpus.toString(), "--max-eval", "6"));
    args.addAll(List.of(more));
    return args.toArray(new String[0]);
  }

  /**
   * QA (bounds): --force without --out did nothing (the default folder is always new); refused by
   * every command that takes it (train, simulate, server share RunGuard.newRun).
   */
  @Test
  void forceWithoutOutIsRefused() throws Exception {
    java.io.StringWriter err = new java.io.StringWriter();
    UserInputException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            UserInputException.class,
            () -> RunGuard.newRun(null, "train", true, new java.io.PrintWriter(err)).close());
    assertTrue(
        e.getMessage().startsWith("--force replaces the --out folder, and without --out"),
        e.getMessage());
  }

  /**
   * QA: rank=100000 ran out of memory. A LoRA rank above min(out, in) of a targeted module is
   * refused by the library when the adapter is made (simulate and info too), naming the option and
   * the bound; the tiny model's query is 32 x 32.
   */
  @Test
  void aLoraRankAboveTheModuleSizeIsRefused() {
    Path out = tmp.resolve("rank33");
    CliRun.Result r = train(out, "--adapter-options", "rank=33");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--adapter-options rank=33 is more than"), r.err());
    assertTrue(r.err().contains("give rank <= 32"), r.err());
    assertFalse(Files.exists(out), "refused before the run started");
    r = train(tmp.resolve("rank32"), "--adapter-options", "rank=32");
    assertEquals(0, r.code(), r.err());
  }
}
