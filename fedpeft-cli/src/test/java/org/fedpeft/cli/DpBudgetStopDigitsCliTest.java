package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedpeft.privacy.RdpAccountant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: "step 7 would bring epsilon to 0.4840 ... above --dp-epsilon 0.484" hid why the
 * run stopped, by rounding to 4 decimals. The epsilon is printed with as many decimals as it takes
 * to differ from the budget, on stderr and in summary.json's stopped_early.
 */
class DpBudgetStopDigitsCliTest {

  @TempDir Path tmp;

  @Test
  void theEpsilonThatStopsTheRunVisiblyExceedsTheBudget() throws Exception {
    double six = new RdpAccountant().step(8.0 / 64, 1.0, 6).getEpsilon(1e-5);
    double budget = six - 1e-9; // 5 steps fit; the 6th goes above by a hair
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    Path out = tmp.resolve("dp");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            model.toString(),
            "--task",
            "wordnet-pos",
            "--max-train",
            "64",
            "--max-eval",
            "16",
            "--steps",
            "10",
            "--batch-size",
            "8",
            "--eval-every",
            "0",
            "--dp-noise",
            "1.0",
            "--dp-epsilon",
            Double.toString(budget),
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    String stopped =
        JsonParser.parseString(Files.readString(out.resolve("summary.json")))
            .getAsJsonObject()
            .get("stopped_early")
            .getAsString();
    assertApart(stopped, "step 6 would bring epsilon to ([0-9.]+) at delta", budget);
    assertApart(r.err(), "step 6 would bring epsilon to ([0-9.]+)\\)", budget);
  }

  /** The epsilon {@code pattern} finds in {@code text} is above the budget as printed. */
  private static void assertApart(String text, String pattern, double budget) {
    Matcher m = Pattern.compile(pattern).matcher(text);
    assertTrue(m.find(), text);
    BigDecimal shown = new BigDecimal(m.group(1));
    BigDecimal limit = new BigDecimal(Double.toString(budget));
    assertTrue(shown.compareTo(limit) > 0, text);
    assertNotEquals(limit.setScale(shown.scale(), RoundingMode.HALF_UP), shown, text);
  }
}
