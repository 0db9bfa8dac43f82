package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * QA (scale): a run resumed near its end (simulate --resume after round 572 of 600, train --resume)
 * drew its bar with an ETA of 0:00, as the rounds done before the resume counted as work done in
 * the moment since the bar started; the 28 rounds left took 12 s. {@link ProgressBar#start} marks
 * where this process starts, and the ETA counts only progress made since. The interval is 0 (a line
 * at every update), so nothing depends on how fast the test runs.
 */
class ProgressBarResumeTest {

  private final long interval = ProgressBar.lineIntervalNanos;

  @AfterEach
  void restoreInterval() {
    ProgressBar.lineIntervalNanos = interval;
  }

  @Test
  void aBarStartedAtAResumedRoundHasNoEtaBeforeItsFirstRound() {
    ProgressBar.lineIntervalNanos = 0;
    StringWriter w = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(w), "rounds", 600, false, false);
    bar.start(572, "");
    bar.update(600, "clients 2/2");
    List<String> l = w.toString().lines().toList();
    assertEquals(2, l.size(), w.toString());
    assertTrue(l.get(0).matches("rounds \\[=+> *\\] 572/600   ETA --:--"), l.get(0));
    assertTrue(l.get(1).matches("rounds \\[=+\\] 600/600 clients 2/2  took \\d+:\\d\\d"), l.get(1));
  }

  @Test
  void aNewRunStartsAtZeroAsBefore() {
    ProgressBar.lineIntervalNanos = 0;
    StringWriter w = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(w), "train", 3, false, false);
    bar.start(0, "");
    bar.update(1, "");
    List<String> l = w.toString().lines().toList();
    assertEquals(2, l.size(), w.toString());
    assertTrue(l.get(0).endsWith("0/3   ETA --:--"), l.get(0));
    assertTrue(l.get(1).matches("train \\[=+> *\\] 1/3   ETA \\d+:\\d\\d"), l.get(1));
  }
}
