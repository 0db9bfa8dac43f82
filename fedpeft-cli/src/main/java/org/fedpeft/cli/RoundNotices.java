package org.fedpeft.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The console notices of {@code simulate} and {@code server} for rounds that were skipped ({@link
 * SimulateCommand#skipLine}) or released the noise alone ({@link SimulateCommand#noiseOnlyLine}),
 * readable when Poisson sampling draws nobody in many rounds: the first {@value #IN_FULL} of each
 * kind are printed in full, the last of them followed by a line saying that further ones are only
 * counted, and {@link #totals()} gives each kind's count at the end of the run. Every such round
 * keeps its line in metrics.jsonl.
 */
final class RoundNotices {
  /** How many notices of each kind are printed in full. */
  static final int IN_FULL = 3;

  private int skipped;
  private int noiseOnly;

  /** The console text for a skipped round, or null once {@value #IN_FULL} were printed. */
  String skip(int round, String reason) {
    return notice(++skipped, SimulateCommand.skipLine(round, reason), "skipped");
  }

  /** The console text for a noise-only round, or null once {@value #IN_FULL} were printed. */
  String noiseOnly(int round, String reason) {
    return notice(
        ++noiseOnly, SimulateCommand.noiseOnlyLine(round, reason), "that release the noise alone");
  }

  private static String notice(int count, String line, String what) {
    if (count < IN_FULL) {
      return line;
    }
    return count == IN_FULL
        ? line
            + System.lineSeparator()
            + "(further rounds "
            + what
            + " are counted, not printed; each is in metrics.jsonl)"
        : null;
  }

  /** The end-of-run lines: the count of each kind of which some notices were not printed. */
  List<String> totals() {
    List<String> lines = new ArrayList<>();
    if (skipped > IN_FULL) {
      lines.add(String.format(Locale.ROOT, "rounds skipped: %,d in all", skipped));
    }
    if (noiseOnly > IN_FULL) {
      lines.add(
          String.format(
              Locale.ROOT, "rounds that released the noise alone: %,d in all", noiseOnly));
    }
    return lines;
  }
}
