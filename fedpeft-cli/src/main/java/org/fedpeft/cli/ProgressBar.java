package org.fedpeft.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: {@code label [=====> ] 120/300 loss 0.84 acc 0.71 ETA 0:42}.
 * On a terminal it redraws in place; otherwise (a pipe, CI logs) it prints a line at most every few
 * seconds, so logs stay short.
 */
public final class ProgressBar {

  private final PrintWriter err;
  private final String label;
  private final int total;
  private final boolean interactive;
  private final long start = System.nanoTime();
  private long lastPrint;

  public ProgressBar(PrintWriter err, String label, int total) {
    this.err = err;
    this.label = label;
    this.total = total;
    this.interactive = System.console() != null && System.getenv("CI") == null;
  }

  /** Shows progress {@code done} of {@code total} with a status text. */
  public void update(int done, String status) {
    draw(done, status, done >= total);
  }

  /**
   * Ends the bar at {@code done} of {@code total} when the run stops before {@code total} (a
   * privacy budget spent): the last line is drawn whatever the time since the previous one, with
   * the time taken and {@code status} (why it stopped), and ends its line as a finished bar does,
   * so that what is printed next starts on a line of its own.
   */
  public void stop(int done, String status) {
    draw(done, status, true);
  }

  private void draw(int done, String status, boolean last) {
    long now = System.nanoTime();
    if (!last && now - lastPrint < (interactive ? 100_000_000L : 5_000_000_000L)) {
      return;
    }
    lastPrint = now;
    double elapsed = (now - start) / 1e9;
    double eta = done == 0 ? Double.NaN : elapsed / done * (total - done);
    int width = 24;
    int filled = total == 0 ? width : (int) ((long) width * done / total);
    StringBuilder bar = new StringBuilder();
    for (int i = 0; i < width; i++) {
      bar.append(i < filled ? '=' : (i == filled ? '>' : ' '));
    }
    String line =
        String.format(
            Locale.ROOT,
            "%s [%s] %d/%d %s  %s %s",
            label,
            bar,
            done,
            total,
            status,
            last ? "took" : "ETA",
            clock(last ? elapsed : eta));
    if (interactive) {
      err.print("\r" + line + "\u001b[K");
      if (last) {
        err.println();
      }
    } else {
      err.println(line);
    }
    err.flush();
  }

  static String clock(double seconds) {
    if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
      return "--:--";
    }
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
