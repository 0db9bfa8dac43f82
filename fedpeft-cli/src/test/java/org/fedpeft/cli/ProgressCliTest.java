package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: embed, eval and retrieve printed nothing while they worked, for minutes on large
 * inputs. They draw a progress bar on standard error once the work has run for ProgressBar's
 * interval; here that interval is 0 (every batch draws a line off a terminal) or a time no test
 * reaches (short work: no bar), and standard output is the same byte for byte either way.
 */
class ProgressCliTest {

  @TempDir static Path dir;
  static Path model;
  static Path corpus;

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(dir.resolve("model"));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < RetrieveCliTest.IDS.size(); i++) {
      JsonObject o = new JsonObject();
      o.addProperty("id", RetrieveCliTest.IDS.get(i));
      o.addProperty("text", RetrieveCliTest.TEXTS.get(i));
      sb.append(o).append('\n');
    }
    corpus = Files.writeString(dir.resolve("corpus.jsonl"), sb.toString());
  }

  /** The command run with a bar line at every batch, and run as short work, with no bar. */
  private record Runs(CliRun.Result withBar, CliRun.Result short_) {}

  private static Runs runBoth(String... args) {
    return runBothWithInput(null, args);
  }

  /** {@link #runBoth} with {@code input} on standard input of each run (null: left as it is). */
  private static Runs runBothWithInput(String input, String... args) {
    long interval = ProgressBar.lineIntervalNanos;
    InputStream before = System.in;
    try {
      ProgressBar.lineIntervalNanos = 0;
      CliRun.Result withBar = runWithInput(input, args);
      ProgressBar.lineIntervalNanos = ProgressBarTest.NEVER;
      CliRun.Result quiet = runWithInput(input, args);
      assertEquals(0, withBar.code(), withBar.err());
      assertEquals(0, quiet.code(), quiet.err());
      assertEquals(quiet.out(), withBar.out(), "standard output with and without the bar");
      return new Runs(withBar, quiet);
    } finally {
      ProgressBar.lineIntervalNanos = interval;
      System.setIn(before);
    }
  }

  private static CliRun.Result runWithInput(String input, String... args) {
    if (input != null) {
      System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
    }
    return CliRun.run(args);
  }

  /**
   * The bar's lines on standard error, without the bar itself and the times: "2/5 texts ETA"; a bar
   * of unknown total (no bar drawn) gives "3 queries after".
   */
  private static List<String> bar(String err, String label) {
    return err.lines()
        .filter(l -> l.startsWith(label + " [") || l.matches(label + " \\d+ .*"))
        .map(
            l ->
                l.replaceFirst("^" + label + " (\\[[=> ]{24}\\] )?", "")
                    .replaceAll(" +", " ")
                    .replaceFirst(" (ETA|took|after) (\\d+:\\d\\d|--:--)$", " $1"))
        .toList();
  }

  @Test
  void helpSaysWhenTheBarAppears() {
    for (String command : List.of("embed", "eval", "predict", "retrieve")) {
      String help = CliRun.run(command, "--help").out().replaceAll("\\s+", " ");
      assertTrue(
          help.contains(
              "Progress: once the work has run for 5 seconds, a bar on standard error (redrawn in"
                  + " place on a terminal, else a line at most every 5 seconds, as train's);"
                  + " shorter work prints none."),
          command + ": " + help);
    }
  }

  @Test
  void embedShowsTheTextsEmbeddedAcrossItsChunksOf256() {
    List<String> args = new ArrayList<>(List.of("embed", "-m", model.toString()));
    args.addAll(List.of("--batch-size", "100"));
    for (int i = 0; i < 300; i++) {
      args.add("text number " + i);
    }
    Runs r = runBoth(args.toArray(new String[0]));
    assertEquals(300, r.withBar().out().lines().count());
    // Batches of 100 within the chunks of 256 texts the command prints at a time.
    assertEquals(
        List.of(
            "100/300 texts ETA", "200/300 texts ETA", "256/300 texts ETA", "300/300 texts took"),
        bar(r.withBar().err(), "embed"),
        r.withBar().err());
    assertEquals("", r.short_().err());
  }

  @Test
  void retrieveShowsTheCorpusThenTheQueries() {
    Runs r =
        runBoth(
            "retrieve",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--batch-size",
            "2",
            "a pet",
            "cut a plank",
            "the river side");
    assertEquals(3, r.withBar().out().lines().count());
    assertEquals(
        List.of("2/8 corpus ETA", "4/8 corpus ETA", "5/8 corpus ETA", "8/8 queries took"),
        bar(r.withBar().err(), "retrieve"),
        r.withBar().err());
    assertEquals("", r.short_().err());
  }

  /**
   * QA, 5 December: with the queries on standard input (their number unknown until read), one bar
   * counted the corpus's texts, then went back to 0 for the queries on the same line. The corpus
   * now has a bar of its own, which ends ("took") before a second bar counts the queries.
   */
  @Test
  void retrieveFromStandardInputEndsTheCorpusBarBeforeCountingTheQueries() {
    Runs r =
        runBothWithInput(
            "a pet\ncut a plank\nthe river side\n",
            "retrieve",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--batch-size",
            "2");
    assertEquals(3, r.withBar().out().lines().count());
    assertEquals(
        List.of(
            "2/5 corpus ETA",
            "4/5 corpus ETA",
            "5/5 corpus took",
            "3 queries after",
            "3 queries took"),
        bar(r.withBar().err(), "retrieve"),
        r.withBar().err());
    assertEquals("", r.short_().err());
  }

  /** predict draws eval's batches of at most 64 texts on a "predict" bar. */
  @Test
  void predictShowsTheTextsLabelled() throws Exception {
    CliRun.TinyRun run = CliRun.tinyTrainedAdapter(dir.resolve("predictor"));
    Path texts = CliRun.animalsAndFood(dir.resolve("texts.jsonl"), 75);
    Runs r =
        runBoth(
            "predict",
            run.adapter().toString(),
            "-m",
            run.model().toString(),
            "--input",
            texts.toString());
    assertEquals(150, r.withBar().out().lines().count());
    assertEquals(
        List.of("64/150 texts ETA", "128/150 texts ETA", "150/150 texts took"),
        bar(r.withBar().err(), "predict"),
        r.withBar().err());
    assertEquals("", r.short_().err());
  }

  @Test
  void evalShowsTheTestExamplesEvaluated() throws Exception {
    CliRun.TinyRun run = CliRun.tinyTrainedAdapter(dir.resolve("classifier"));
    Path test = CliRun.animalsAndFood(dir.resolve("test.jsonl"), 75);
    Runs r =
        runBoth(
            "eval", run.adapter().toString(), "-m", run.model().toString(), "--test", test + "");
    // Batches of at most 64 examples.
    assertEquals(
        List.of("64/150 test ETA", "128/150 test ETA", "150/150 test took"),
        bar(r.withBar().err(), "eval"),
        r.withBar().err());
    assertEquals(List.of(), bar(r.short_().err(), "eval"), r.short_().err());
    assertEquals(r.short_().err(), r.withBar().err().replaceAll("(?m)^eval \\[.*\\R", ""));
  }

  /**
   * With a corpus, the ranking metrics of a classifier head come from the evaluation's own pass:
   * the bar counts the queries once.
   */
  @Test
  void evalWithACorpusRanksInTheEvaluationPass() throws Exception {
    Path queries = RetrieveCliTest.writeQueries(dir.resolve("queries.jsonl"));
    Path out = dir.resolve("car");
    CliRun.Result t =
        CliRun.run(
            "train",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--data",
            queries.toString(),
            "--steps",
            "1",
            "--eval-every",
            "0",
            "--out",
            out.toString());
    assertEquals(0, t.code(), t.err());
    Runs r =
        runBoth(
            "eval",
            out.resolve("adapter").toString(),
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--test",
            queries.toString());
    assertEquals(List.of("40/40 test took"), bar(r.withBar().err(), "eval"), r.withBar().err());
    assertEquals(List.of(), bar(r.short_().err(), "eval"), r.short_().err());
  }

  /** An adapter trained contrastively is evaluated by embedding the corpus, then the queries. */
  @Test
  void contrastiveEvalShowsTheCorpusThenTheQueries() throws Exception {
    Path queries = RetrieveCliTest.writeQueries(dir.resolve("queries-contrastive.jsonl"));
    Path out = dir.resolve("contrastive");
    CliRun.Result t =
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
            "--steps",
            "1",
            "--batch-size",
            "4",
            "--eval-every",
            "0",
            "--out",
            out.toString());
    assertEquals(0, t.code(), t.err());
    Runs r =
        runBoth(
            "eval",
            out.resolve("adapter").toString(),
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--test",
            queries.toString());
    assertEquals(
        List.of("5/45 corpus ETA", "45/45 test took"),
        bar(r.withBar().err(), "eval"),
        r.withBar().err());
    assertEquals(List.of(), bar(r.short_().err(), "eval"), r.short_().err());
  }
}
