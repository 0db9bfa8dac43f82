package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedpeft eval} as a user runs it, on an adapter trained on a tiny model and own data. */
class EvalCommandUserTest {

  @TempDir static Path dir;
  static Path model;
  static Path data;
  static Path adapter;

  @BeforeAll
  static void setUp() throws Exception {
    CliRun.TinyRun run = CliRun.tinyTrainedAdapter(dir);
    model = run.model();
    data = run.data();
    adapter = run.adapter();
  }

  /**
   * QA, 3 December: eval cut test texts longer than the model's maximum length without a word,
   * where train says so of the same data. It prints train's note.
   */
  @Test
  void aNoteSaysHowManyTestTextsWereTruncated() throws Exception {
    Path test =
        CliRun.jsonl(
            dir.resolve("long-test.jsonl"),
            List.of(
                new String[] {EmbedCommandUserTest.longText(600), "animal"},
                new String[] {"a kind of food", "food"}));
    CliRun.Result r =
        CliRun.run("eval", adapter.toString(), "-m", model.toString(), "--test", test.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("test accuracy: "), r.out());
    assertTrue(r.err().contains("note: 1 text of the data is longer than the model's "), r.err());
    Path shortTest =
        CliRun.jsonl(
            dir.resolve("short-test.jsonl"), List.<String[]>of(new String[] {"a cat", "animal"}));
    r =
        CliRun.run(
            "eval", adapter.toString(), "-m", model.toString(), "--test", shortTest.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(!r.err().contains("longer than"), r.err());
  }

  /**
   * QA, 3 December: "eval DIR --corpus C" said "--corpus needs --data" (after the adapter's seed
   * note), although eval takes a test file of queries alone (--test).
   */
  @Test
  void aCorpusWithoutQueriesNamesTest() throws Exception {
    Path corpus =
        Files.writeString(dir.resolve("corpus.jsonl"), "{\"id\": \"a\", \"text\": \"x\"}\n");
    CliRun.Result r =
        CliRun.run(
            "eval", adapter.toString(), "-m", model.toString(), "--corpus", corpus.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft eval: --corpus needs queries of it to evaluate on: --test FILE (JSON Lines with"
            + " \"text\" and \"doc\"), or --data FILE to cut a test split from",
        r.err().strip());
  }

  /** QA, 3 December: "--max-eval 0" printed the adapter's seed note before its refusal. */
  @Test
  void aBadMaxEvalIsRefusedFirst() {
    CliRun.Result r =
        CliRun.run(
            "eval",
            adapter.toString(),
            "-m",
            model.toString(),
            "--data",
            data.toString(),
            "--max-eval",
            "0");
    assertEquals(2, r.code(), r.err());
    assertEquals("fedpeft eval: --max-eval must be at least 1, got 0", r.err().strip());
  }

  /**
   * QA, 3 December: eval --help offered --max-train ("Use at most N training examples"), which eval
   * always refuses as it trains nothing. Its help leaves it out; the refusal is unchanged, and
   * train's help still has it.
   */
  @Test
  void helpDoesNotOfferMaxTrain() {
    CliRun.Result help = CliRun.run("eval", "--help");
    assertEquals(0, help.code(), help.err());
    assertTrue(help.out().contains("--max-eval"), help.out());
    assertTrue(!help.out().contains("--max-train"), help.out());
    assertTrue(CliRun.run("train", "--help").out().contains("--max-train"));
    CliRun.Result r = CliRun.run("eval", adapter.toString(), "--max-train", "3");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("--max-train caps training examples; eval trains nothing"), r.err());
  }
}
