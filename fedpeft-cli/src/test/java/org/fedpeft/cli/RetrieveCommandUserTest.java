package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedpeft retrieve} as a user runs it, on a tiny model and a corpus of their own. */
class RetrieveCommandUserTest {

  @TempDir static Path dir;
  static Path model;
  static Path corpus;

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(dir.resolve("model"));
    StringBuilder sb = new StringBuilder();
    String[][] docs = {
      {"dog", "a domesticated carnivorous mammal"},
      {"long", EmbedCommandUserTest.longText(600)},
      {"bank", "sloping land beside a body of water"}
    };
    for (String[] d : docs) {
      JsonObject o = new JsonObject();
      o.addProperty("id", d[0]);
      o.addProperty("text", d[1]);
      sb.append(o).append('\n');
    }
    corpus = Files.writeString(dir.resolve("corpus.jsonl"), sb.toString());
  }

  /**
   * QA, 3 December: retrieve cut documents and queries longer than the model's maximum length
   * without a word (as embed did). It prints train's note, counting both.
   */
  @Test
  void aNoteSaysHowManyTextsWereTruncated() {
    CliRun.Result r =
        CliRun.run(
            "retrieve",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--top-k",
            "1",
            "a dog",
            EmbedCommandUserTest.longText(300));
    assertEquals(0, r.code(), r.err());
    assertEquals(2, r.out().lines().count(), r.out());
    assertTrue(
        r.err().contains("note: 2 texts of the corpus and queries are longer than the model's "),
        r.err());
  }

  /**
   * QA, 3 December: --seed with --corpus was accepted and did nothing (it draws a task's corpus);
   * it is refused, naming both options, before the model loads.
   */
  @Test
  void seedWithACorpusFileIsRefused() {
    CliRun.Result r =
        CliRun.run(
            "retrieve",
            "-m",
            model.toString(),
            "--corpus",
            corpus.toString(),
            "--seed",
            "5",
            "a dog");
    assertEquals(2, r.code(), r.err());
    assertEquals("", r.out());
    assertTrue(
        r.err()
            .contains("--seed draws the documents of a --task's corpus; with --corpus " + corpus),
        r.err());
  }

  /**
   * QA, 3 December: retrieve with nothing on standard input (or only blank lines) exited 0 without
   * a word, where embed says it had no texts (so that it is not taken for a hang or a failure).
   */
  @Test
  void noQueriesIsSaid() {
    InputStream before = System.in;
    try {
      System.setIn(new ByteArrayInputStream("\n \n".getBytes(StandardCharsets.UTF_8)));
      CliRun.Result r =
          CliRun.run("retrieve", "-m", model.toString(), "--corpus", corpus.toString());
      assertEquals(0, r.code(), r.err());
      assertEquals("", r.out());
      assertTrue(r.err().contains("retrieve: no queries"), r.err());
    } finally {
      System.setIn(before);
    }
  }
}
