package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round's client training draws a delayed {@code clients} bar (clients done of sampled): with the
 * line interval at 0 every client's end prints a line; with an interval no round reaches it prints
 * none (not the default 5 s, which a round of tiny clients reaches on a machine stalled for
 * seconds). The metrics are the same either way.
 */
class RoundClientsProgressCliTest {
  @TempDir Path tmp;

  private CliRun.Result simulate(Path config, Path out, long interval) {
    long before = ProgressBar.lineIntervalNanos;
    try {
      ProgressBar.lineIntervalNanos = interval;
      return CliRun.run("simulate", config.toString(), "--out", out.toString());
    } finally {
      ProgressBar.lineIntervalNanos = before;
    }
  }

  @Test
  void eachRoundShowsItsClientsDone() throws Exception {
    Path config = ClientDpPoissonEmptyRoundCliTest.config(tmp);
    String text = Files.readString(config);
    Files.writeString(
        config,
        text.substring(0, text.indexOf("[privacy]")) + text.substring(text.indexOf("[eval]")));
    CliRun.Result drawn = simulate(config, tmp.resolve("drawn"), 0);
    assertEquals(0, drawn.code(), drawn.err());
    List<String> bar =
        drawn.err().lines().filter(l -> l.startsWith("clients [")).map(String::strip).toList();
    // seed 5 draws 1, 0, 2 and 2 clients: the empty round draws no bar
    assertEquals(5, bar.size(), drawn.err());
    assertTrue(bar.get(0).matches("clients \\[=+\\] 1/1 trained  took .*"), bar.get(0));
    assertTrue(bar.get(1).matches("clients \\[=+>? *\\] 1/2 trained  ETA .*"), bar.get(1));
    assertTrue(bar.get(2).matches("clients \\[=+\\] 2/2 trained  took .*"), bar.get(2));
    CliRun.Result quiet = simulate(config, tmp.resolve("quiet"), ProgressBarTest.NEVER);
    assertEquals(0, quiet.code(), quiet.err());
    assertFalse(quiet.err().contains("clients ["), quiet.err());
    assertEquals(
        Files.readString(tmp.resolve("quiet/metrics.jsonl")),
        Files.readString(tmp.resolve("drawn/metrics.jsonl")));
  }
}
