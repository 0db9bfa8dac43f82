package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ProgressBar}: when it draws. Its interval is set to 0 (a line at every update) or to a
 * time no test reaches (as work shorter than the interval), so nothing depends on how fast the test
 * runs.
 */
class ProgressBarTest {

  static final long NEVER = Long.MAX_VALUE / 4;

  private final long interval = ProgressBar.lineIntervalNanos;

  @AfterEach
  void restoreInterval() {
    ProgressBar.lineIntervalNanos = interval;
  }

  private static List<String> lines(StringWriter w) {
    return w.toString().lines().toList();
  }

  @Test
  void aDelayedBarOfShortWorkPrintsNothingNotEvenItsLastLine() {
    ProgressBar.lineIntervalNanos = NEVER;
    StringWriter w = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(w), "embed", 3, true, false);
    bar.texts(0, "texts").onBatch(2, 3);
    bar.texts(0, "texts").onBatch(3, 3);
    assertEquals("", w.toString());
  }

  @Test
  void aDelayedBarOfLongWorkPrintsAsAnyBar() {
    ProgressBar.lineIntervalNanos = 0;
    StringWriter w = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(w), "eval", 6, true, false);
    bar.texts(0, "test").onBatch(2, 3);
    bar.texts(0, "test").onBatch(3, 3);
    bar.texts(3, "ranking").onBatch(3, 3); // a second pass, counted after the first
    List<String> l = lines(w);
    assertEquals(3, l.size(), w.toString());
    assertTrue(l.get(0).matches("eval \\[=+> *\\] 2/6 test  ETA \\d+:\\d\\d"), l.get(0));
    assertTrue(l.get(1).matches("eval \\[=+> *\\] 3/6 test  ETA \\d+:\\d\\d"), l.get(1));
    assertTrue(l.get(2).matches("eval \\[=+\\] 6/6 ranking  took \\d+:\\d\\d"), l.get(2));
  }

  /**
   * A bar of unknown total (texts read from standard input as they come) counts what is done, is
   * never ended by an update, and ends with {@link ProgressBar#finish}; short work prints nothing.
   */
  @Test
  void aBarOfUnknownTotalCountsAndEndsWhenFinished() {
    ProgressBar.lineIntervalNanos = 0;
    StringWriter w = new StringWriter();
    ProgressBar bar =
        new ProgressBar(new PrintWriter(w), "predict", ProgressBar.UNKNOWN, true, false);
    bar.texts(0, "texts").onBatch(2, 2);
    bar.texts(2, "texts").onBatch(3, 3);
    bar.finish(5, "texts");
    List<String> l = lines(w);
    assertEquals(3, l.size(), w.toString());
    assertTrue(l.get(0).matches("predict 2 texts  after \\d+:\\d\\d"), l.get(0));
    assertTrue(l.get(1).matches("predict 5 texts  after \\d+:\\d\\d"), l.get(1));
    assertTrue(l.get(2).matches("predict 5 texts  took \\d+:\\d\\d"), l.get(2));
    ProgressBar.lineIntervalNanos = NEVER;
    StringWriter quiet = new StringWriter();
    ProgressBar shortWork =
        new ProgressBar(new PrintWriter(quiet), "embed", ProgressBar.UNKNOWN, true, false);
    shortWork.texts(0, "texts").onBatch(2, 2);
    shortWork.finish(2, "texts");
    assertEquals("", quiet.toString());
  }

  /** train's and simulate's bar draws its first update and its last whatever the interval. */
  @Test
  void anUndelayedBarDrawsItsFirstAndLastUpdate() {
    ProgressBar.lineIntervalNanos = NEVER;
    StringWriter w = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(w), "train", 3, false, false);
    bar.update(0, "");
    bar.update(1, "");
    bar.update(3, "");
    List<String> l = lines(w);
    assertEquals(2, l.size(), w.toString());
    assertTrue(l.get(0).startsWith("train [>"), l.get(0));
    assertTrue(l.get(1).contains("3/3") && l.get(1).contains("took"), l.get(1));
  }

  /**
   * On a terminal the bar is drawn in place, without a line end: before the command prints its
   * output, clearLine erases it, so that the output does not continue the bar's line.
   */
  @Test
  void clearLineErasesABarDrawnInPlaceOnly() {
    ProgressBar.lineIntervalNanos = 0;
    StringWriter w = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(w), "embed", 3, true, true);
    bar.clearLine(); // nothing drawn yet
    assertEquals("", w.toString());
    bar.update(1, "texts");
    String drawn = w.toString();
    assertTrue(drawn.startsWith("\rembed [") && drawn.endsWith("\u001b[K"), drawn);
    bar.clearLine();
    assertEquals(drawn + "\r\u001b[K", w.toString());
    bar.clearLine(); // already erased
    assertEquals(drawn + "\r\u001b[K", w.toString());
    bar.update(3, "texts");
    assertTrue(w.toString().endsWith(System.lineSeparator()), w.toString());
    String ended = w.toString();
    bar.clearLine(); // a finished bar has ended its line
    assertEquals(ended, w.toString());
  }

  /**
   * Where the launcher says whether standard error is a terminal, that decides; System.console()
   * (which needs standard input and output to be terminals) only where it said nothing; never under
   * CI. Before, System.console() alone decided, so {@code embed <in >out} on a terminal printed a
   * line every few seconds and {@code train 2>log} wrote redraws into the log.
   */
  @Test
  void theLaunchersWordOnStandardErrorDecidesWhetherTheBarRedrawsInPlace() {
    assertTrue(ProgressBar.onTerminal("true", false, null));
    assertFalse(ProgressBar.onTerminal("false", true, null));
    assertTrue(ProgressBar.onTerminal(null, true, null));
    assertFalse(ProgressBar.onTerminal(null, false, null));
    assertFalse(ProgressBar.onTerminal("true", true, "true"));
  }
}
