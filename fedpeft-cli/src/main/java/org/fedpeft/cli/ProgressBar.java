package org.fedpeft.cli;

import java.io.PrintWriter;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import org.fedpeft.model.BatchProgress;

/**
 * A one-line progress bar on stderr: {@code label [=====> ] 120/300 loss 0.84 acc 0.71 ETA 0:42}.
 * On a terminal it redraws in place; otherwise (a pipe, CI logs) it prints a line at most every few
 * seconds, so logs stay short. A {@link #delayed} bar, for work that is often short, stays silent
 * until the work has run that long.
 */
public final class ProgressBar {

  /**
   * Nanoseconds between two lines off a terminal (5 s), and before the first line of a {@link
   * #delayed} bar. Package-private so that tests can make it 0: then a bar off a terminal prints a
   * line at every update.
   */
  static long lineIntervalNanos = 5_000_000_000L;

  /**
   * The line of the --help of the commands that draw a {@link #delayed} bar, which says when it
   * appears.
   */
  static final String DELAYED_HELP =
      "Progress: once the work has run for 5 seconds, a bar on standard error (redrawn in place"
          + " on a terminal, else a line at most every 5 seconds, as train's); shorter work prints"
          + " none.";

  /**
   * For each stream, the bar whose line is open on it (drawn in place and not ended), so that a
   * failure printed on that stream erases it first ({@link #clearOpenLine}).
   */
  private static final Map<PrintWriter, ProgressBar> OPEN_LINES =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** Nanoseconds between two redraws on a terminal. */
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter err;
  private final String label;
  private final int total;
  private final boolean delayed;
  private final boolean interactive;
  private final long start = System.nanoTime();
  private long lastPrint;

  /**
   * The progress this process started from ({@link #start}): a resumed run's rounds or steps done
   * before it, which its ETA must not count as work done since {@link #start}.
   */
  private int startDone;

  private boolean drawn;
  private boolean lineOpen;

  /**
   * The total of a bar over work whose size is not known until it is done (texts read from standard
   * input as they come): it shows the count done and the time so far, and {@link #finish} ends it.
   */
  public static final int UNKNOWN = -1;

  /**
   * @param total the work's size, or {@link #UNKNOWN}
   */
  public ProgressBar(PrintWriter err, String label, int total) {
    this(err, label, total, false, onTerminal());
  }

  ProgressBar(PrintWriter err, String label, int total, boolean delayed, boolean interactive) {
    this.err = err;
    this.label = label;
    this.total = total;
    this.delayed = delayed;
    this.interactive = interactive;
  }

  /**
   * A bar for work that is often over in a moment (embed, eval, retrieve): it draws nothing until
   * the work has run for 5 seconds (the interval between two lines off a terminal), so short work
   * prints nothing; from then on it draws as any bar, and it ends with its last line only when it
   * drew before or the work took that long.
   */
  public static ProgressBar delayed(PrintWriter err, String label, int total) {
    return new ProgressBar(err, label, total, true, onTerminal());
  }

  /** Whether a bar redraws in place: on a terminal, outside CI. */
  private static boolean onTerminal() {
    return onTerminal(
        System.getProperty(STDERR_TERMINAL), System.console() != null, System.getenv("CI"));
  }

  /**
   * The system property by which the launcher says whether standard error is a terminal ({@code
   * true} or {@code false}): Java 17 cannot tell ({@link System#console()} needs standard input and
   * output to be terminals, so {@code fedpeft embed <in >out} would not redraw in place, and {@code
   * fedpeft train 2>log} would).
   */
  static final String STDERR_TERMINAL = "fedpeft.stderr.terminal";

  /**
   * Whether to redraw in place: standard error is a terminal as the launcher said ({@code told}),
   * or, where it said nothing (the command line run in-process), as far as a {@code console} shows;
   * never under CI (the environment variable {@code CI} set).
   */
  static boolean onTerminal(String told, boolean console, String ci) {
    boolean terminal = told != null ? Boolean.parseBoolean(told) : console;
    return terminal && ci == null;
  }

  /**
   * Progress of a batched forward pass over texts drawn on this bar: its texts done count from
   * {@code offset} (the texts of the passes before it on this bar), with {@code status}.
   */
  public BatchProgress texts(int offset, String status) {
    return (done, passTotal) -> update(offset + done, status);
  }

  /**
   * Progress of a MIPS evaluation drawn on this bar ({@code EmbeddingRetrieval.evaluate}, which
   * embeds its {@code documents} corpus texts first, then the queries): status {@code corpus} while
   * the documents are embedded, then {@code status}.
   */
  public BatchProgress mips(int documents, String status) {
    return (done, total) -> update(done, done <= documents ? "corpus" : status);
  }

  /**
   * The progress of an evaluation during a training run (train's --eval-every and final test,
   * simulate's and server's test split) on a {@link #delayed} bar labelled {@code eval}: it goes
   * through {@code documents} corpus texts first (a contrastive model's MIPS evaluation, status
   * {@code corpus}; 0 for others), then {@code texts} examples (status {@code status}). Over the
   * run's own bar on a terminal, it redraws that line and ends with a line of its own, below which
   * the run's bar goes on.
   */
  public static BatchProgress evaluation(PrintWriter err, int documents, int texts, String status) {
    ProgressBar bar = delayed(err, "eval", documents + texts);
    return documents > 0 ? bar.mips(documents, status) : bar.texts(0, status);
  }

  /**
   * The progress of one round's client training in {@code simulate} and {@code server} on a {@link
   * #delayed} bar labelled {@code clients}, {@code sampled} of them: silent in a round that ends
   * within 5 seconds; in a longer one (thousands of clients), clients done of sampled. Over the
   * run's own bar on a terminal, it redraws that line and ends with a line of its own, as {@link
   * #evaluation} does.
   */
  public static BatchProgress clients(PrintWriter err, int sampled) {
    ProgressBar bar = delayed(err, "clients", sampled);
    return (done, total) -> bar.update(done, "trained");
  }

  /**
   * Before a command prints on standard output: on a terminal, erases the bar if it is drawn in
   * place, so that the output starts on a line of its own (the next update draws the bar below it);
   * off a terminal, where the bar prints whole lines, does nothing.
   */
  public void clearLine() {
    if (lineOpen) {
      err.print("\r\u001b[K");
      err.flush();
      lineOpen = false;
      OPEN_LINES.remove(err, this);
    }
  }

  /**
   * Erases the bar drawn in place on {@code err}, if any ({@link #clearLine}), so that what is
   * printed next starts on a line of its own: {@link Main}'s error handler calls it before it
   * prints a failure, for every command.
   */
  static void clearOpenLine(PrintWriter err) {
    ProgressBar bar = OPEN_LINES.get(err);
    if (bar != null) {
      bar.clearLine();
    }
  }

  /**
   * Shows the progress the work starts from, {@code done} of {@code total} (a resumed run's rounds
   * or steps completed before this process; 0 for a new run), as the bar's first line: the ETA of
   * later updates is the time taken per unit of progress made since, so a run resumed near its end
   * does not show the rest as done in no time; until there is such progress it shows {@code --:--}.
   */
  public void start(int done, String status) {
    startDone = done;
    update(done, status);
  }

  /** Shows progress {@code done} of {@code total} with a status text. */
  public void update(int done, String status) {
    draw(done, status, total != UNKNOWN && done >= total);
  }

  /**
   * Ends a bar of {@link #UNKNOWN} total at {@code done}: its last line, with the time taken, if it
   * drew before or the work took 5 seconds (as the last update of a bar of known total draws it);
   * for a bar of known total, which its updates end, does nothing.
   */
  public void finish(int done, String status) {
    if (total == UNKNOWN) {
      draw(done, status, true);
    }
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
    boolean due =
        drawn
            ? now - lastPrint >= (interactive ? REDRAW_NANOS : lineIntervalNanos)
            : !delayed || now - start >= lineIntervalNanos;
    if (!due && !(last && (drawn || !delayed))) {
      return;
    }
    lastPrint = now;
    drawn = true;
    double elapsed = (now - start) / 1e9;
    int progressed = done - startDone;
    double eta = progressed <= 0 ? Double.NaN : elapsed / progressed * (total - done);
    int width = 24;
    int filled = total == 0 ? width : (int) ((long) width * done / total);
    StringBuilder bar = new StringBuilder();
    for (int i = 0; i < width; i++) {
      bar.append(i < filled ? '=' : (i == filled ? '>' : ' '));
    }
    String line =
        total == UNKNOWN
            ? String.format(
                Locale.ROOT,
                "%s %d %s  %s %s",
                label,
                done,
                status,
                last ? "took" : "after",
                clock(elapsed))
            : String.format(
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
      lineOpen = !last;
      if (lineOpen) {
        OPEN_LINES.put(err, this);
      } else {
        OPEN_LINES.remove(err, this);
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
