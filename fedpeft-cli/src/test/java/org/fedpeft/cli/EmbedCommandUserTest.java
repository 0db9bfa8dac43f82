package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedpeft embed} as a user runs it: what it says on standard error. */
class EmbedCommandUserTest {

  @TempDir static Path dir;
  static Path model;

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(dir.resolve("model"));
  }

  /** A text of {@code words} distinct words, each at least one token. */
  static String longText(int words) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      sb.append(i == 0 ? "" : " ").append("word").append(i);
    }
    return sb.toString();
  }

  /**
   * QA, 3 December: embed cut texts longer than the model's maximum length without a word (its
   * --help said it truncates, but not whether a given input was). It prints train's note, once,
   * counting the texts cut, and the output is as before.
   */
  @Test
  void aNoteSaysHowManyTextsWereTruncatedAndToHowManyTokens() {
    String text = longText(600);
    CliRun.Result r = CliRun.run("embed", "-m", model.toString(), text, "a cat", text);
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(3, lines.size(), r.out());
    assertEquals(lines.get(0), lines.get(2));
    List<String> notes = r.err().lines().filter(l -> l.startsWith("note: ")).toList();
    assertEquals(1, notes.size(), r.err());
    assertTrue(
        notes.get(0).matches("note: 2 texts to embed are longer than the model's \\d+ tokens;.*"),
        r.err());
  }

  /**
   * Nothing at all on standard error; embed's delayed bar is kept out by a line interval no run
   * reaches (at the default 5 s, a machine stalled for seconds would draw it).
   */
  @Test
  void noNoteWhenNoTextIsTruncated() {
    long interval = ProgressBar.lineIntervalNanos;
    CliRun.Result r;
    try {
      ProgressBar.lineIntervalNanos = ProgressBarTest.NEVER;
      r = CliRun.run("embed", "-m", model.toString(), "a cat", "a dog sat on the mat");
    } finally {
      ProgressBar.lineIntervalNanos = interval;
    }
    assertEquals(0, r.code(), r.err());
    assertEquals(2, r.out().lines().count(), r.out());
    assertEquals("", r.err());
  }
}
