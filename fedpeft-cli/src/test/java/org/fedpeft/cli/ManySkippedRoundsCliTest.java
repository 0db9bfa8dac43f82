package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poisson client sampling that draws nobody in most rounds: {@code simulate} prints the first
 * {@link RoundNotices#IN_FULL} skipped rounds in full, says that further ones are only counted, and
 * gives their total at the end, while metrics.jsonl keeps a line (with {@code skipped}) per round.
 */
class ManySkippedRoundsCliTest {
  @TempDir Path tmp;

  @Test
  void skippedRoundsAfterTheFirstFewAreCountedNotPrinted() throws Exception {
    Path config = ClientDpPoissonEmptyRoundCliTest.config(tmp);
    String text = Files.readString(config);
    text = text.substring(0, text.indexOf("[privacy]")) + text.substring(text.indexOf("[eval]"));
    // 60 clients, 1 expected per round: about a third of the 30 rounds draw nobody.
    text =
        text.replace("rounds = 4", "rounds = 30")
            .replace("clients = 6", "clients = 60")
            .replace("clients_per_round = 2", "clients_per_round = 1")
            .replace("every = 4", "every = 30");
    Files.writeString(config, text);
    Path out = tmp.resolve("run");
    CliRun.Result r = CliRun.run("simulate", config.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    long skipped =
        metrics.stream()
            .filter(l -> JsonParser.parseString(l).getAsJsonObject().has("skipped"))
            .count();
    assertTrue(skipped > RoundNotices.IN_FULL + 1, skipped + " skipped rounds in " + metrics);
    String err = r.err();
    assertEquals(
        RoundNotices.IN_FULL, err.split(" skipped: no client sampled", -1).length - 1, err);
    assertTrue(
        err.contains("(further rounds skipped are counted, not printed; each is in metrics.jsonl)"),
        err);
    assertTrue(err.contains("rounds skipped: " + skipped + " in all"), err);
  }
}
