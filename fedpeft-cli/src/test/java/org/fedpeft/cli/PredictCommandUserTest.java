package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedpeft.peft.AdapterFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft predict} as a user runs it, on an adapter trained on a tiny model and own data:
 * its labels are those {@code eval} scores, its probabilities a distribution over the labels, its
 * input from arguments, standard input or a file, and its refusals.
 */
class PredictCommandUserTest {

  @TempDir static Path dir;
  static Path model;
  static Path adapter;
  static Path test;

  @BeforeAll
  static void setUp() throws Exception {
    CliRun.TinyRun run = CliRun.tinyTrainedAdapter(dir);
    model = run.model();
    adapter = run.adapter();
    test = labelledTexts(dir.resolve("test.jsonl"));
  }

  /** Writes 9 labelled texts with ids, 3 "animal" and 6 "food", as JSON Lines to {@code file}. */
  static Path labelledTexts(Path file) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      String[] row =
          i % 3 == 0
              ? new String[] {"a furry animal " + i, "animal"}
              : new String[] {"something to eat " + i, "food"};
      JsonObject o = new JsonObject();
      o.addProperty("id", "row-" + i);
      o.addProperty("text", row[0]);
      o.addProperty("label", row[1]);
      lines.add(o.toString());
    }
    return Files.write(file, lines);
  }

  private static CliRun.Result predict(String... args) {
    List<String> all =
        new ArrayList<>(List.of("predict", adapter.toString(), "-m", model.toString()));
    all.addAll(List.of(args));
    return CliRun.run(all.toArray(new String[0]));
  }

  private static List<JsonObject> lines(String out) {
    List<JsonObject> objects = new ArrayList<>();
    for (String l : out.strip().split("\n")) {
      objects.add(JsonParser.parseString(l).getAsJsonObject());
    }
    return objects;
  }

  /** With stdin holding {@code text} while {@code args} run. */
  private static CliRun.Result withStdin(String text, String... args) {
    InputStream before = System.in;
    try {
      System.setIn(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
      return predict(args);
    } finally {
      System.setIn(before);
    }
  }

  /**
   * The fraction of the test file's texts whose predicted label is the file's equals eval's printed
   * accuracy on the same file (9 examples: below the --max-eval cap the adapter records, so eval
   * scores them all); every text's probabilities over the two labels sum to 1, and its label is the
   * first of "top"; ids are echoed in input order.
   */
  @Test
  void predictedLabelsScoreAsEvalDoes() throws Exception {
    assertLabelsScoreAsEval(adapter, model, test);
  }

  /**
   * Runs eval and predict on {@code test} (a {@link #labelledTexts} file) with {@code adapter},
   * {@code options} given to both, and checks that predict's labels score eval's accuracy (see
   * {@link #predictedLabelsScoreAsEvalDoes}).
   */
  static void assertLabelsScoreAsEval(Path adapter, Path model, Path test, String... options)
      throws Exception {
    List<String> common = new ArrayList<>(List.of(adapter.toString(), "-m", model.toString()));
    common.addAll(List.of(options));
    List<String> evalArgs = new ArrayList<>(List.of("eval"));
    evalArgs.addAll(common);
    evalArgs.addAll(List.of("--test", test.toString()));
    CliRun.Result eval = CliRun.run(evalArgs.toArray(new String[0]));
    assertEquals(0, eval.code(), eval.err());
    List<String> predictArgs = new ArrayList<>(List.of("predict"));
    predictArgs.addAll(common);
    predictArgs.addAll(List.of("--input", test.toString()));
    CliRun.Result r = CliRun.run(predictArgs.toArray(new String[0]));
    assertEquals(0, r.code(), r.err());
    List<String> file = Files.readAllLines(test);
    List<JsonObject> out = lines(r.out());
    assertEquals(file.size(), out.size(), r.out());
    int right = 0;
    for (int i = 0; i < out.size(); i++) {
      JsonObject want = JsonParser.parseString(file.get(i)).getAsJsonObject();
      JsonObject got = out.get(i);
      assertEquals(want.get("id"), got.get("id"), got.toString());
      assertEquals(want.get("text"), got.get("text"), got.toString());
      JsonArray top = got.getAsJsonArray("top");
      assertEquals(2, top.size(), "--top-k 3 (the default) lists both labels: " + got);
      double sum = 0;
      for (JsonElement e : top) {
        sum += e.getAsJsonObject().get("probability").getAsDouble();
      }
      assertEquals(1.0, sum, 1e-6, got.toString());
      assertEquals(top.get(0).getAsJsonObject().get("label"), got.get("label"), got.toString());
      assertEquals(
          top.get(0).getAsJsonObject().get("probability"), got.get("probability"), got.toString());
      if (got.get("label").getAsString().equals(want.get("label").getAsString())) {
        right++;
      }
    }
    String accuracy =
        String.format(Locale.ROOT, "test accuracy: %.4f (", (double) right / file.size());
    assertTrue(eval.out().startsWith(accuracy), eval.out() + " vs " + r.out());
    assertTrue(eval.out().contains(file.size() + " examples"), eval.out());
  }

  /** Texts as arguments and on standard input (blank lines skipped) give the file's predictions. */
  @Test
  void argumentsAndStandardInputGiveTheSamePredictions() throws Exception {
    CliRun.Result args = predict("a furry animal 0", "something to eat 1");
    assertEquals(0, args.code(), args.err());
    CliRun.Result stdin = withStdin("a furry animal 0\n\n  \nsomething to eat 1\n");
    assertEquals(0, stdin.code(), stdin.err());
    assertEquals(args.out(), stdin.out());
    List<JsonObject> file = lines(predict("--input", test.toString()).out());
    List<JsonObject> got = lines(args.out());
    for (int i = 0; i < 2; i++) {
      JsonObject f = file.get(i).deepCopy();
      f.remove("id");
      assertEquals(f, got.get(i));
    }
  }

  /**
   * QA, 5 December: no text on standard input (nothing, or blank lines) exited 2, where embed and
   * retrieve print nothing and say so (exit 0), as a pipeline's empty input should.
   */
  @Test
  void noTextOnStandardInputPrintsNothingAndSaysSo() {
    for (String empty : List.of("", "\n \n")) {
      CliRun.Result r = withStdin(empty);
      assertEquals(0, r.code(), r.err());
      assertEquals("", r.out());
      assertEquals(
          "predict: no texts (none given as arguments, and standard input had no non-blank line)",
          r.err().strip());
    }
  }

  /**
   * QA, 5 December: predict read standard input to its end before it labelled a text, so an endless
   * stream got no answer. The first chunk's labels are printed before standard input is read past
   * that chunk (the stream notes what was printed when it is asked for more), and the output is
   * that of the same texts as arguments.
   */
  @Test
  void standardInputIsLabelledChunkByChunkAsItIsRead() throws Exception {
    int n = PredictCommand.CHUNK + 6;
    StringBuilder first = new StringBuilder();
    StringBuilder rest = new StringBuilder();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String t = (i % 2 == 0 ? "a cat " : "some bread ") + i;
      texts.add(t);
      (i < PredictCommand.CHUNK ? first : rest).append(t).append('\n');
    }
    StringWriter out = new StringWriter();
    long[] printedWhenAskedForMore = {-1};
    InputStream stdin =
        new InputStream() {
          private final ByteArrayInputStream head =
              new ByteArrayInputStream(first.toString().getBytes(StandardCharsets.UTF_8));
          private ByteArrayInputStream tail;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) {
            int got = head.read(b, off, len);
            if (got >= 0) {
              return got;
            }
            if (tail == null) {
              printedWhenAskedForMore[0] = out.toString().lines().count();
              tail = new ByteArrayInputStream(rest.toString().getBytes(StandardCharsets.UTF_8));
            }
            return tail.read(b, off, len);
          }
        };
    InputStream before = System.in;
    int code;
    StringWriter err = new StringWriter();
    try {
      System.setIn(stdin);
      code =
          Main.run(
              new String[] {"predict", adapter.toString(), "-m", model.toString()},
              new PrintWriter(out, true),
              new PrintWriter(err, true));
    } finally {
      System.setIn(before);
    }
    assertEquals(0, code, err.toString());
    assertEquals(PredictCommand.CHUNK, printedWhenAskedForMore[0], "printed before reading on");
    CliRun.Result args = predict(texts.toArray(new String[0]));
    assertEquals(0, args.code(), args.err());
    assertEquals(args.out(), out.toString());
  }

  /**
   * On a terminal (as the launcher says with {@link GivenTexts#STDIN_TERMINAL}), each line typed is
   * answered before the next is typed: the test writes a line to the process's standard input and
   * waits for its label before it writes the next, and closes standard input only at the end. (The
   * timeout only bounds the failure of the old code, which waited for the end of the input.)
   */
  @Test
  @org.junit.jupiter.api.Timeout(300)
  void onATerminalEachLineTypedIsAnsweredAtOnce() throws Exception {
    try (Spawned p =
        Spawned.fedpeft(
            "predict",
            java.util.Map.of(GivenTexts.STDIN_TERMINAL, "true"),
            List.of("predict", adapter.toString(), "-m", model.toString(), "--top-k", "1"))) {
      for (String line : List.of("a furry animal 0", "something to eat 1")) {
        p.stdin().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        p.stdin().flush();
        p.awaitLine("{\"text\":\"" + line + "\"");
      }
      p.stdin().close();
      assertEquals(0, p.waitFor(), p.output());
    }
  }

  /**
   * A byte that is not UTF-8 on a line of standard input after the first chunk: the texts before
   * that line are labelled and printed, then predict stops with exit 2 naming the line (QA, 5
   * December: nothing was printed, as standard input was read whole first).
   */
  @Test
  void aBadByteOnStandardInputStopsAfterTheTextsBeforeIt() {
    int bad = PredictCommand.CHUNK + 5;
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (int i = 1; i <= bad + 2; i++) {
      bytes.writeBytes(("a cat " + i).getBytes(StandardCharsets.UTF_8));
      if (i == bad) {
        bytes.write(0xE9); // Latin-1 e-acute, not UTF-8
      }
      bytes.write('\n');
    }
    InputStream before = System.in;
    CliRun.Result r;
    try {
      System.setIn(new ByteArrayInputStream(bytes.toByteArray()));
      r = predict("--top-k", "1");
    } finally {
      System.setIn(before);
    }
    assertEquals(2, r.code(), r.err());
    assertEquals(bad - 1, r.out().lines().count(), "the texts before the bad line are printed");
    List<JsonObject> out = lines(r.out());
    assertEquals("a cat " + (bad - 1), out.get(bad - 2).get("text").getAsString());
    assertTrue(r.err().contains("standard input:" + bad + ": not valid UTF-8"), r.err());
  }

  /** A text longer than the model's maximum length is cut to it, with embed's note. */
  @Test
  void aNoteSaysHowManyTextsWereTruncated() {
    CliRun.Result r = predict(EmbedCommandUserTest.longText(600), "a cat");
    assertEquals(0, r.code(), r.err());
    assertEquals(2, r.out().strip().lines().count(), r.out());
    assertTrue(r.err().contains("note: 1 text to label is longer than the model's "), r.err());
    CliRun.Result none = predict("a cat");
    assertTrue(!none.err().contains("longer than"), none.err());
  }

  /** --top-k lists that many labels; 0 is refused. A CSV file is read as well. */
  @Test
  void topKAndCsv() throws Exception {
    CliRun.Result one = predict("--top-k", "1", "a furry animal 0");
    assertEquals(0, one.code(), one.err());
    JsonObject o = lines(one.out()).get(0);
    assertEquals(1, o.getAsJsonArray("top").size(), o.toString());
    CliRun.Result zero = predict("--top-k", "0", "a furry animal 0");
    assertEquals(2, zero.code(), zero.err());
    assertEquals("fedpeft predict: --top-k must be at least 1, got 0", zero.err().strip());
    Path csv =
        Files.writeString(
            dir.resolve("texts.csv"), "id,text\n7,a furry animal 0\n8,\"something to eat 1\"\n");
    CliRun.Result r = predict("--input", csv.toString());
    assertEquals(0, r.code(), r.err());
    List<JsonObject> rows = lines(r.out());
    assertEquals("7", rows.get(0).get("id").getAsString());
    assertEquals("something to eat 1", rows.get(1).get("text").getAsString());
  }

  private static void refused(CliRun.Result r, String message) {
    assertEquals(2, r.code(), r.err());
    assertEquals("", r.out());
    assertEquals("fedpeft predict: " + message, r.err().strip());
  }

  /** Bad input exits 2 naming the file, line and field, or what is missing. */
  @Test
  void badInputIsRefusedNamingIt() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"a cat\"}\n{\"text\": 3\n");
    refused(
        predict("--input", bad.toString()), bad + ":2: invalid JSON at column 11: End of input");
    Path empty = Files.writeString(dir.resolve("empty-text.jsonl"), "{\"text\": \" \"}\n");
    refused(predict("--input", empty.toString()), empty + ":1: empty field \"text\"");
    Path noText = Files.writeString(dir.resolve("no-text.csv"), "id,label\n1,food\n");
    refused(
        predict("--input", noText.toString()),
        noText
            + ":1: the header must name a column \"text\" (optional: \"id\", \"task\"), found [id,"
            + " label]");
    refused(predict("a cat", ""), "text 2 is empty");
    refused(
        predict("--input", test.toString(), "a cat"),
        "texts given both as arguments and with --input " + test + ": give one or the other");
    Path missing = dir.resolve("nowhere");
    refused(CliRun.run("predict", missing.toString(), "a cat"), missing + ": no such folder");
    refused(
        predict("--task", "animals", "a cat"),
        "--task animals: "
            + adapter
            + " has a single head (labels [animal, food]); --task picks the head of a multi-task"
            + " adapter");
  }

  /**
   * A file of more texts than a chunk (PredictCommand.CHUNK) is labelled whole, in input order; the
   * same file with a bad row after the first chunk stops with exit 2 naming that row's line, before
   * anything is printed (the file is checked whole before any text is labelled).
   */
  @Test
  void aFileLargerThanAChunkIsLabelledInOrderAndABadRowAfterItPrintsNothing() throws Exception {
    int n = PredictCommand.CHUNK + 6;
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(
          "{\"id\": " + i + ", \"text\": \"" + (i % 2 == 0 ? "a cat " : "some bread ") + i + "\"}");
    }
    Path big = Files.write(dir.resolve("big.jsonl"), rows);
    CliRun.Result r = predict("--input", big.toString(), "--top-k", "1");
    assertEquals(0, r.code(), r.err());
    List<JsonObject> out = lines(r.out());
    assertEquals(n, out.size());
    for (int i = 0; i < n; i++) {
      assertEquals(i, out.get(i).get("id").getAsInt(), out.get(i).toString());
    }
    rows.add("{\"id\": " + n + ", \"text\": 3}");
    rows.add("{\"text\": \"never read\"}");
    Path bad = Files.write(dir.resolve("big-bad.jsonl"), rows);
    refused(
        predict("--input", bad.toString()),
        bad + ":" + (n + 1) + ": field \"text\" must be a string, found a number");
  }

  /**
   * A folder without a fedpeft head (Hugging Face PEFT's files alone), an adapter trained
   * contrastively and a classifier-as-retriever head are refused, saying why.
   */
  @Test
  void headsThatLabelNothingAreRefused() throws Exception {
    Path peft = Files.createDirectories(dir.resolve("peft-only"));
    for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
      Files.copy(adapter.resolve(f), peft.resolve(f));
    }
    refused(
        CliRun.run("predict", peft.toString(), "-m", model.toString(), "a cat"),
        peft
            + ": no classification head (head.safetensors is missing): predict labels texts with"
            + " the head that train and simulate save next to the adapter; a plain Hugging Face"
            + " PEFT folder has none");
    Path contrastive = withExtra("contrastive", "objective", "\"contrastive\"");
    refused(
        CliRun.run("predict", contrastive.toString(), "-m", model.toString(), "a cat"),
        contrastive
            + " was trained with the contrastive objective, so its head was never trained and"
            + " labels nothing; it serves retrieval by embeddings: fedpeft retrieve --adapter "
            + contrastive
            + " --method mips");
  }

  /**
   * A classifier-as-retriever adapter, as train writes it from a corpus and its queries, records
   * that its labels are document ids; predict refuses it, pointing to retrieve.
   */
  @Test
  void aClassifierAsRetrieverIsRefused() throws Exception {
    List<String> corpus = new ArrayList<>();
    List<String> queries = new ArrayList<>();
    for (int d = 0; d < 3; d++) {
      corpus.add("{\"id\": \"d" + d + "\", \"text\": \"document about topic " + d + "\"}");
      for (int q = 0; q < 4; q++) {
        queries.add("{\"text\": \"query " + q + " on topic " + d + "\", \"doc\": \"d" + d + "\"}");
      }
    }
    Path corpusFile = Files.write(dir.resolve("corpus.jsonl"), corpus);
    Path queryFile = Files.write(dir.resolve("queries.jsonl"), queries);
    Path out = dir.resolve("car");
    CliRun.Result train =
        CliRun.run(
            "train",
            "--model",
            model.toString(),
            "--corpus",
            corpusFile.toString(),
            "--data",
            queryFile.toString(),
            "--steps",
            "1",
            "--eval-every",
            "0",
            "--out",
            out.toString());
    assertEquals(0, train.code(), train.err());
    Path car = out.resolve("adapter");
    refused(
        CliRun.run("predict", car.toString(), "-m", model.toString(), "a cat"),
        car
            + " is a classifier-as-retriever: its head's labels are the document ids of a"
            + " retrieval corpus, not classes; find the best documents for a text with fedpeft"
            + " retrieve --adapter "
            + car
            + " (--task TASK or --corpus FILE)");
    // A folder written before the mark was recorded, trained on a bundled retrieval task.
    Path old = AdapterBaseModelFolderCliTest.copyOf(car, dir.resolve("old-car"));
    Path config = old.resolve(AdapterFiles.CONFIG_FILE);
    JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    c.getAsJsonObject("extra").remove(AdapterFiles.RETRIEVAL_CORPUS);
    c.getAsJsonObject("extra").addProperty("task", "wordnet-sense-retrieval:documents=3");
    Files.writeString(config, c.toString());
    CliRun.Result r = CliRun.run("predict", old.toString(), "-m", model.toString(), "a cat");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(" is a classifier-as-retriever: "), r.err());
  }

  /** A copy of the adapter folder whose fedpeft_adapter.json records {@code extra.key = json}. */
  private static Path withExtra(String name, String key, String json) throws Exception {
    Path copy = AdapterBaseModelFolderCliTest.copyOf(adapter, dir.resolve(name));
    Path config = copy.resolve(AdapterFiles.CONFIG_FILE);
    JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    c.getAsJsonObject("extra").add(key, JsonParser.parseString(json));
    Files.writeString(config, c.toString());
    return copy;
  }
}
