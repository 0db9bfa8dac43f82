package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html warns of client updates that failed in completed rounds (a client whose training
 * diverged, timed out, was rejected or lost), as it warns of failed evaluations: before,
 * summary.json counted them ({@code client_fit_failures}) but the report showed only that count in
 * its table. Clients that declined because their privacy budget was spent are not failures.
 */
class ReportFitFailuresTest {

  @TempDir Path tmp;

  private static JsonObject round(int n, String failures) {
    return JsonParser.parseString(
            "{\"event\":\"round\",\"round\":" + n + ",\"failures\":" + failures + "}")
        .getAsJsonObject();
  }

  private static final String DIVERGED =
      "{\"client\":\"client-2\",\"kind\":\"ERROR\",\"reason\":\"training diverged: loss is NaN\"}";
  private static final String DECLINED =
      "{\"client\":\"client-1\",\"kind\":\"DECLINED\",\"reason\":\"privacy budget spent\"}";

  @Test
  void failedUpdatesAreCountedWithTheFirstReasonAndDeclinedClientsAreNot() {
    String w =
        ReportWriter.fitFailures(
            List.of(
                round(1, "[]"),
                round(2, "[" + DECLINED + "," + DIVERGED + "]"),
                round(3, "[" + DIVERGED + "]")));
    assertEquals(
        "<b>2 client updates failed</b> in 2 rounds (failures in metrics.jsonl); those rounds went"
            + " on without them. The first: client-2: training diverged: loss is NaN.",
        w);
    assertNull(ReportWriter.fitFailures(List.of(round(1, "[" + DECLINED + "]"), round(2, "[]"))));
  }

  @Test
  void theReportShowsTheWarning() throws Exception {
    Files.writeString(
        tmp.resolve("metrics.jsonl"),
        round(1, "[]") + "\n" + round(2, "[" + DIVERGED + "]") + "\n");
    String html = Files.readString(ReportWriter.write(tmp));
    assertTrue(
        html.contains(
            "<p class=\"stop\"><b>1 client update failed</b> in 1 round (failures in"
                + " metrics.jsonl)"),
        html);
    assertTrue(html.contains("client-2: training diverged: loss is NaN."), html);
  }
}
