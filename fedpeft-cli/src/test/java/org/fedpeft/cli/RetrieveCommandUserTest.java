package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
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
}
