package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.retrieval.CarRetriever;
import org.fedpeft.retrieval.Corpus;
import org.fedpeft.retrieval.Retriever;
import org.fedpeft.train.ClassifierModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fedpeft retrieve as a user runs it, on a tiny random model and a small corpus of their own. */
class RetrieveCliTest {

  @TempDir static Path dir;
  static Path model;
  static Path corpus;

  static final List<String> IDS = List.of("dog", "saw", "run", "blue", "bank");
  static final List<String> TEXTS =
      List.of(
          "a domesticated carnivorous mammal",
          "a hand tool with a toothed blade for cutting",
          "move fast by using your feet",
          "the colour of the clear sky",
          "sloping land beside a body of water");

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(dir.resolve("model"));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < IDS.size(); i++) {
      JsonObject o = new JsonObject();
      o.addProperty("id", IDS.get(i));
      o.addProperty("text", TEXTS.get(i));
      sb.append(o).append('\n');
    }
    corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, sb.toString());
  }

  static List<JsonObject> lines(String out) {
    return out.lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
  }

  @Test
  void mipsWithTheFrozenEncoderFindsADocumentFromItsOwnText() {
    CliRun.Result r =
        CliRun.run(
            "retrieve",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--top-k",
            "3",
            TEXTS.get(3),
            "something else entirely");
    assertEquals(0, r.code(), r.err());
    List<JsonObject> out = lines(r.out());
    assertEquals(2, out.size());
    assertEquals(TEXTS.get(3), out.get(0).get("query").getAsString());
    JsonArray results = out.get(0).getAsJsonArray("results");
    assertEquals(3, results.size());
    JsonObject best = results.get(0).getAsJsonObject();
    assertEquals("blue", best.get("id").getAsString());
    assertEquals(TEXTS.get(3), best.get("text").getAsString());
    assertEquals(1.0, best.get("score").getAsDouble(), 1e-5); // cosine of a text with itself
    double previous = 2;
    for (var e : out.get(1).getAsJsonArray("results")) {
      double s = e.getAsJsonObject().get("score").getAsDouble();
      assertTrue(s <= previous && s >= -1.0001, "descending cosines, got " + s);
      previous = s;
    }
  }

  @Test
  void queriesComeFromStandardInputOnePerLine() {
    InputStream before = System.in;
    try {
      System.setIn(
          new ByteArrayInputStream(
              (TEXTS.get(0) + "\n\n" + TEXTS.get(4) + "\n").getBytes(StandardCharsets.UTF_8)));
      CliRun.Result r =
          CliRun.run(
              "retrieve", "-m", model.toString(), "--corpus", corpus.toString(), "--top-k", "1");
      assertEquals(0, r.code(), r.err());
      List<JsonObject> out = lines(r.out());
      assertEquals(2, out.size()); // the blank line is skipped
      assertEquals(
          "dog",
          out.get(0).getAsJsonArray("results").get(0).getAsJsonObject().get("id").getAsString());
      assertEquals(
          "bank",
          out.get(1).getAsJsonArray("results").get(0).getAsJsonObject().get("id").getAsString());
    } finally {
      System.setIn(before);
    }
  }

  /**
   * QA, 2 December: embed read a byte that is not UTF-8 on standard input as U+FFFD and embedded
   * blank lines (which retrieve skips). Both read standard input strictly, and embed refuses a
   * blank line, whose embedding would mean nothing and shift the output lines; the lines before a
   * refused one are answered (standard input is read as it comes).
   */
  @Test
  void standardInputIsStrictUtf8AndEmbedRefusesABlankLine() {
    InputStream before = System.in;
    try {
      byte[] latin1 = "a pet\ncaf\u00e9 by the river\n".getBytes(StandardCharsets.ISO_8859_1);
      for (String[] cmd :
          List.of(
              new String[] {"embed", "-m", model.toString()},
              new String[] {"retrieve", "-m", model.toString(), "--corpus", corpus.toString()})) {
        System.setIn(new ByteArrayInputStream(latin1));
        CliRun.Result r = CliRun.run(cmd);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("standard input:2: not valid UTF-8"), r.err());
        // Read as it comes: line 1 is answered before line 2 is refused.
        assertEquals(1, r.out().lines().count(), r.out());
      }
      System.setIn(
          new ByteArrayInputStream("a pet\n \nthe river\n".getBytes(StandardCharsets.UTF_8)));
      CliRun.Result r = CliRun.run("embed", "-m", model.toString());
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains("line 2 of standard input is blank"), r.err());
      assertEquals(1, r.out().lines().count(), r.out());
      System.setIn(new ByteArrayInputStream("a pet\r\nthe river".getBytes(StandardCharsets.UTF_8)));
      r = CliRun.run("embed", "-m", model.toString());
      assertEquals(0, r.code(), r.err());
      assertEquals(2, r.out().lines().count(), r.out());
      // Empty input: nothing out, but said (QA, 3 December: it was silent).
      System.setIn(new ByteArrayInputStream(new byte[0]));
      r = CliRun.run("embed", "-m", model.toString());
      assertEquals(0, r.code(), r.err());
      assertEquals("", r.out());
      assertTrue(r.err().contains("embed: no texts"), r.err());
    } finally {
      System.setIn(before);
    }
  }

  @Test
  void carWithASavedAdapterRanksByTheHeadAndScoresAreProbabilities() throws Exception {
    Path saved = dir.resolve("car-adapter");
    List<String> labels = List.of("saw", "dog", "bank", "blue", "run"); // any order of the ids
    List<String> queries = List.of("a pet", "cut a plank", "the river side");
    List<List<Retriever.Hit>> expected;
    PretrainedModel pm = PretrainedModel.load(model.toString());
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter a = AdapterRegistry.get("softembed").create(Map.of("form", "lowrank"), enc, 3);
        ClassificationHead head = new ClassificationHead(root, 32, labels.size(), 4)) {
      java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
      for (AdapterTensor t : a.tensors()) {
        float[] d = new float[(int) t.array().size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (rng.nextDouble() - 0.5) * 0.4f;
        }
        Adapter.Tensors.assign(t.array(), d);
      }
      AdapterFiles.save(
          saved,
          a,
          3,
          org.fedpeft.peft.Adapter.Tensors.toHost(head.tensors()),
          labels,
          null,
          new JsonObject());
      ClassifierModel cm = new ClassifierModel(enc, a, head);
      expected =
          new CarRetriever(cm, tok, labels, Corpus.read(corpus), 8).search(queries, IDS.size());
    }
    CliRun.Result r =
        CliRun.run(
            "retrieve",
            "-m",
            model.toString(),
            "--adapter",
            saved.toString(),
            "--corpus",
            corpus.toString(),
            "--top-k",
            "5",
            queries.get(0),
            queries.get(1),
            queries.get(2));
    assertEquals(0, r.code(), r.err());
    List<JsonObject> out = lines(r.out());
    assertEquals(3, out.size());
    for (int q = 0; q < 3; q++) {
      JsonArray results = out.get(q).getAsJsonArray("results");
      double sum = 0;
      for (int k = 0; k < 5; k++) {
        JsonObject hit = results.get(k).getAsJsonObject();
        Retriever.Hit want = expected.get(q).get(k);
        assertEquals(IDS.get(want.document()), hit.get("id").getAsString());
        assertEquals(want.score(), hit.get("score").getAsDouble(), 1e-6);
        assertEquals(TEXTS.get(want.document()), hit.get("text").getAsString());
        sum += hit.get("score").getAsDouble();
      }
      assertEquals(1.0, sum, 1e-5, "softmax over the whole corpus");
    }
  }

  @Test
  void userErrorsAreClear() throws Exception {
    Path dup = dir.resolve("dup.jsonl");
    Files.writeString(
        dup, "{\"id\": \"a\", \"text\": \"one\"}\n{\"id\": \"a\", \"text\": \"two\"}\n");
    CliRun.Result r =
        CliRun.run("retrieve", "-m", model.toString(), "--corpus", dup.toString(), "q");
    assertEquals(2, r.code());
    assertTrue(
        r.err().contains(dup + ":2: duplicate document id \"a\" (first on line 1)"), r.err());

    Path empty = dir.resolve("empty.jsonl");
    Files.writeString(empty, "{\"id\": \"a\", \"text\": \"\"}\n");
    r = CliRun.run("retrieve", "-m", model.toString(), "--corpus", empty.toString(), "q");
    assertEquals(2, r.code());
    assertTrue(r.err().contains(empty + ":1: document \"a\" has an empty text"), r.err());

    r = CliRun.run("retrieve", "--corpus", corpus.toString(), "--method", "car", "q");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--method car needs --adapter"), r.err());

    r = CliRun.run("retrieve", "--corpus", corpus.toString(), "--method", "bm25", "q");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--method must be car or mips, got bm25"), r.err());

    r = CliRun.run("retrieve", "q");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--task") && r.err().contains("--corpus"), r.err());
  }

  @Test
  void trainEvalAndRetrieveOnTheUsersOwnCorpus() throws Exception {
    Path queries = dir.resolve("queries.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      JsonObject o = new JsonObject();
      o.addProperty("text", TEXTS.get(i % 5).split(" ")[i % 3 + 1] + " query " + i);
      o.addProperty("doc", IDS.get(i % 5));
      sb.append(o).append('\n');
    }
    Files.writeString(queries, sb.toString());
    Path out = dir.resolve("train-own");
    CliRun.Result r =
        CliRun.run(
            "train",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            queries.toString(),
            "--adapter",
            "softembed",
            "--steps",
            "4",
            "--batch-size",
            "4",
            "--eval-every",
            "0",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    AdapterFiles.Saved saved = AdapterFiles.read(out.resolve("adapter"));
    assertEquals(IDS, saved.labels()); // the head's outputs are the corpus's ids, in order
    r =
        CliRun.run(
            "eval",
            out.resolve("adapter").toString(),
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            queries.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("test accuracy: "), r.out());
    assertTrue(r.out().contains("retrieval (classifier-as-retriever): top-1 "), r.out());
    r =
        CliRun.run(
            "retrieve",
            "-m",
            model.toString(),
            "--adapter",
            out.resolve("adapter").toString(),
            "--corpus",
            corpus.toString(),
            "--top-k",
            "2",
            "a pet");
    assertEquals(0, r.code(), r.err());
    assertEquals(2, lines(r.out()).get(0).getAsJsonArray("results").size());

    Path bad = dir.resolve("bad-queries.jsonl");
    Files.writeString(
        bad, "{\"text\": \"fine\", \"doc\": \"dog\"}\n{\"text\": \"lost\", \"doc\": \"cat\"}\n");
    r =
        CliRun.run(
            "train",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            bad.toString(),
            "--steps",
            "1",
            "--out",
            dir.resolve("never").toString());
    assertEquals(2, r.code());
    assertTrue(
        r.err().contains(bad + ":2: doc \"cat\" is not a document id of the corpus " + corpus),
        r.err());
  }

  /**
   * QA, 3 December: an adapter trained on --corpus C --data Q --test T recorded no hash of Q, so
   * eval --corpus C --data Q scored a re-split of Q, every query of which trained it; and eval
   * --corpus C --test T, the way to evaluate such a run, was refused ("--corpus needs --data").
   */
  @Test
  void aCorpusRunWithItsTestQueriesApartIsEvaluatedOnThemAlone() throws Exception {
    Path queries = writeQueries(dir.resolve("apart-queries.jsonl"));
    Path test = dir.resolve("apart-test.jsonl");
    Files.write(test, Files.readAllLines(queries).subList(0, 10));
    Path out = dir.resolve("train-apart");
    CliRun.Result r =
        CliRun.run(
            "train",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            queries.toString(),
            "--test",
            test.toString(),
            "--adapter",
            "softembed",
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--eval-every",
            "0",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    String adapter = out.resolve("adapter").toString();
    r =
        CliRun.run(
            "eval", adapter, "-m", model + "", "--corpus", corpus + "", "--data", queries + "");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(queries + " is the file " + adapter + " was trained on"), r.err());
    assertTrue(r.err().contains("--test FILE --corpus " + corpus), r.err());

    r = CliRun.run("eval", adapter, "-m", model + "", "--corpus", corpus + "", "--test", test + "");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().contains(", 10 examples of " + test + " (corpus: " + corpus + "))"), r.out());
    assertTrue(r.out().contains("retrieval (classifier-as-retriever): top-1 "), r.out());

    // The run folder instead of its adapter folder, and a training-only option.
    r = CliRun.run("eval", out.toString(), "-m", model + "", "--test", test + "");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(out + ": a run folder; its adapter folder is " + adapter), r.err());
    r = CliRun.run("embed", "--adapter", out.toString(), "-m", model + "", "a text");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(out + ": a run folder"), r.err());
    r = CliRun.run("eval", dir.resolve("nowhere").toString(), "-m", model + "");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(dir.resolve("nowhere") + ": no such folder"), r.err());
    r =
        CliRun.run(
            "eval",
            adapter,
            "-m",
            model + "",
            "--corpus",
            corpus + "",
            "--test",
            test + "",
            "--max-train",
            "3");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--max-train caps training examples"), r.err());
  }

  /** Writes 40 queries over the corpus (8 per document) to {@code file}. */
  static Path writeQueries(Path file) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      JsonObject o = new JsonObject();
      o.addProperty("text", TEXTS.get(i % 5).split(" ")[i % 3 + 1] + " query " + i);
      o.addProperty("doc", IDS.get(i % 5));
      sb.append(o).append('\n');
    }
    Files.writeString(file, sb.toString());
    return file;
  }

  @Test
  void contrastiveTrainingIsEvaluatedAndServedByMips() throws Exception {
    Path queries = writeQueries(dir.resolve("queries-contrastive.jsonl"));
    Path out = dir.resolve("train-contrastive");
    CliRun.Result r =
        CliRun.run(
            "train",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            queries.toString(),
            "--adapter",
            "softembed",
            "--objective",
            "contrastive",
            "--temperature",
            "0.1",
            "--steps",
            "4",
            "--batch-size",
            "4",
            "--eval-every",
            "2",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    String line =
        r.out().lines().filter(l -> l.startsWith("retrieval (")).findFirst().orElseThrow();
    assertTrue(line.startsWith("retrieval (MIPS with the adapter): top-1 "), r.out());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals("contrastive", summary.get("objective").getAsString());
    assertEquals(32 * 32, summary.get("trainable_parameters").getAsLong()); // U only, no head
    AdapterFiles.Saved saved = AdapterFiles.read(out.resolve("adapter"));
    assertEquals("contrastive", saved.extra().get("objective").getAsString());
    // eval evaluates it by MIPS too, on the same test split: the same numbers.
    r =
        CliRun.run(
            "eval",
            out.resolve("adapter").toString(),
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            queries.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(line), r.out() + " vs " + line);
    // retrieve defaults to MIPS for it: scores are cosines; CaR is refused.
    r =
        CliRun.run(
            "retrieve",
            "-m",
            model.toString(),
            "--adapter",
            out.resolve("adapter").toString(),
            "--corpus",
            corpus.toString(),
            TEXTS.get(2));
    assertEquals(0, r.code(), r.err());
    JsonArray hits = lines(r.out()).get(0).getAsJsonArray("results");
    assertEquals(5, hits.size());
    for (var h : hits) {
      assertTrue(h.getAsJsonObject().get("score").getAsDouble() <= 1.0001, r.out());
    }
    r =
        CliRun.run(
            "retrieve",
            "-m",
            model.toString(),
            "--adapter",
            out.resolve("adapter").toString(),
            "--corpus",
            corpus.toString(),
            "--method",
            "car",
            "x");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("its head was never trained"), r.err());
  }

  @Test
  void aHeadStartedFromTheDocumentsRanksAsMips() throws Exception {
    Path queries = writeQueries(dir.resolve("queries-docinit.jsonl"));
    Path out = dir.resolve("docinit");
    // One step at a negligible learning rate: the saved head is the initial one up to ~1e-7.
    CliRun.Result r =
        CliRun.run(
            "train",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            queries.toString(),
            "--adapter",
            "none",
            "--head-init",
            "documents",
            "--steps",
            "1",
            "--lr",
            "1e-9",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals("documents", summary.get("head_init").getAsString());
    String[] asked = {"a pet that barks", "cut the plank", "the river side", "sky colour"};
    CliRun.Result car =
        CliRun.run(
            concat(
                new String[] {
                  "retrieve",
                  "-m",
                  model.toString(),
                  "--adapter",
                  out.resolve("adapter").toString(),
                  "--corpus",
                  corpus.toString(),
                  "--method",
                  "car",
                  "--top-k",
                  "5"
                },
                asked));
    CliRun.Result mips =
        CliRun.run(
            concat(
                new String[] {
                  "retrieve", "-m", model.toString(), "--corpus", corpus.toString(), "--top-k", "5"
                },
                asked));
    assertEquals(0, car.code(), car.err());
    assertEquals(0, mips.code(), mips.err());
    List<JsonObject> c = lines(car.out());
    List<JsonObject> m = lines(mips.out());
    for (int q = 0; q < asked.length; q++) {
      List<String> carIds = new ArrayList<>();
      List<String> mipsIds = new ArrayList<>();
      c.get(q)
          .getAsJsonArray("results")
          .forEach(h -> carIds.add(h.getAsJsonObject().get("id").getAsString()));
      m.get(q)
          .getAsJsonArray("results")
          .forEach(h -> mipsIds.add(h.getAsJsonObject().get("id").getAsString()));
      assertEquals(mipsIds, carIds, "query " + asked[q]);
    }

    Path topics = dir.resolve("topics-docinit.jsonl");
    Files.writeString(
        topics,
        "{\"text\": \"a b\", \"label\": \"x\"}\n".repeat(5)
            + "{\"text\": \"c d\", \"label\": \"y\"}\n".repeat(5));
    String[][] refused = {
      {"documents", "--head-init documents needs single-task retrieval data"},
      {"centroids", "--head-init = centroids is invalid"}
    };
    for (String[] refusal : refused) {
      r =
          CliRun.run(
              "train",
              "-m",
              model.toString(),
              "--data",
              topics.toString(),
              "--head-init",
              refusal[0],
              "--steps",
              "1",
              "--out",
              dir.resolve("docinit-refused-" + refusal[0]).toString());
      assertEquals(2, r.code());
      assertTrue(r.err().contains(refusal[1]), r.err());
    }
  }

  @Test
  void contrastiveTrainingRefusesWhatCannotWork() throws Exception {
    Path queries = writeQueries(dir.resolve("queries-refused.jsonl"));
    String[] base = {
      "train",
      "-m",
      model.toString(),
      "--corpus",
      corpus.toString(),
      "--data",
      queries.toString(),
      "--objective",
      "contrastive",
      "--steps",
      "1"
    };
    CliRun.Result r =
        CliRun.run(concat(base, "--adapter", "none", "--out", dir.resolve("n1").toString()));
    assertEquals(2, r.code());
    assertTrue(r.err().contains("needs --adapter with a method other than none"), r.err());
    r =
        CliRun.run(
            concat(
                base,
                "--adapter",
                "softembed",
                "--dp-noise",
                "1",
                "--out",
                dir.resolve("n2").toString()));
    assertEquals(2, r.code());
    assertTrue(r.err().contains("in-batch negatives"), r.err());
    Path topics = dir.resolve("topics.jsonl");
    Files.writeString(
        topics,
        "{\"text\": \"a b\", \"label\": \"x\"}\n".repeat(5)
            + "{\"text\": \"c d\", \"label\": \"y\"}\n".repeat(5));
    r =
        CliRun.run(
            "train",
            "-m",
            model.toString(),
            "--data",
            topics.toString(),
            "--adapter",
            "softembed",
            "--objective",
            "contrastive",
            "--steps",
            "1",
            "--out",
            dir.resolve("n3").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("needs retrieval data"), r.err());
    r =
        CliRun.run(
            "train",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            queries.toString(),
            "--adapter",
            "softembed",
            "--objective",
            "triplet",
            "--out",
            dir.resolve("n4").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--objective must be one of classification, contrastive"), r.err());
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
