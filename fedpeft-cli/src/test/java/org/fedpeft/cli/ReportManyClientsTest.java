package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html stays readable and bounded with thousands of clients: past {@link
 * ReportWriter#MAX_CLIENT_BARS} clients a per-client map is drawn as its distribution (a histogram
 * with quantiles, saying so) instead of one bar per client, and the table of what each client
 * trained lists its first {@link ReportWriter#MAX_ASSIGNMENT_ROWS} rows, saying how many it left
 * out. A per-client chart shows the last round in which any client has a value.
 */
class ReportManyClientsTest {

  @TempDir Path tmp;

  private static String id(int c) {
    return "client-" + c;
  }

  @Test
  void fiveThousandClientsAccuraciesAndAThousandAssignmentsARoundStayBounded() throws Exception {
    Path plain = ReportRuns.copyWithMetrics(tmp.resolve("plain"), o -> {});
    long plainBytes = Files.size(ReportWriter.write(plain));
    Path many =
        ReportRuns.copyWithMetrics(
            tmp.resolve("many"),
            o -> {
              if (!o.has("event") || !o.get("event").getAsString().equals("round")) {
                return;
              }
              JsonObject acc = new JsonObject();
              for (int c = 0; c < 5000; c++) {
                acc.addProperty(id(c), (c % 101) / 100.0);
              }
              o.add("client_accuracy", acc);
              JsonArray sampled = new JsonArray();
              JsonObject strategy = new JsonObject();
              for (int c = 0; c < 1000; c++) {
                sampled.add(id(c));
                strategy.addProperty("fedbe.blocks." + id(c), (double) (1 + c % 3));
              }
              o.add("sampled", sampled);
              o.add("strategy", strategy);
            });
    String html = Files.readString(ReportWriter.write(many));
    long manyBytes = Files.size(many.resolve(ReportWriter.FILE));
    System.out.println(
        "report.html: "
            + plainBytes
            + " bytes, with the 5,000 clients and 6,000 rows "
            + manyBytes);
    assertTrue(
        manyBytes < plainBytes + 60_000,
        "report.html of 5,000 clients' accuracies and 6,000 assignment rows: "
            + manyBytes
            + " bytes, the run's own: "
            + plainBytes);
    assertTrue(
        html.contains(
            "5,000 clients, too many for a bar each: the chart counts the clients whose accuracy"
                + " falls in each of 20 equal ranges from the smallest value to the largest."
                + " Smallest 0, quartiles "),
        "says what it summarised");
    assertFalse(html.contains("<title>client-4999, accuracy"), "no bar per client");
    assertTrue(
        html.contains(
            "The table lists its first 500 of 6,000 rows (a row per client and round, up to round"
                + " 1)"),
        "says what the table left out");
    assertTrue(html.contains("<td>client-499</td><td>block 1</td>"), "the 500th row");
    assertFalse(html.contains("<td>client-500</td>"), "not the 501st");
  }

  @Test
  void theDistributionCountsTheClientsOfEachRange() {
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      values.add(i / 3999.0);
    }
    String h = ReportWriter.distribution(values, "accuracy");
    assertTrue(h.contains("<title>0 to 0.050, clients: 200</title>"), h);
    assertTrue(h.contains("<title>0.950 to 1.00, clients: 200</title>"), "the largest in the last");
    assertTrue(
        h.contains("quartiles 0.250 / 0.500 (median) / 0.750, largest 1.00; mean 0.500."), h);
    assertEquals(20, h.split("<rect ").length - 1, "a bar per range");

    String same = ReportWriter.distribution(List.of(0.5, 0.5, 0.5), "accuracy");
    assertTrue(
        same.contains("3 clients, too many for a bar each, every one with accuracy 0.500."), same);
    assertTrue(same.contains("<title>0.500, clients: 3</title>"), same);
  }

  /**
   * QA (leftovers): when every client's evaluation failed in the last evaluated round, its
   * client_accuracy (every value null) was drawn as a chart with no bar. The chart shows the last
   * round with a value and says so; with none in any round there is no chart, as without
   * client_accuracy.
   */
  @Test
  void aRoundWithoutAnyClientValueIsNotTheOneDrawn() {
    JsonObject second = round(2, "{\"client-1\": 0.25, \"client-2\": null}");
    JsonObject failed = round(3, "{\"client-1\": null, \"client-2\": null}");
    String h =
        ReportWriter.perClientCharts(List.of(round(1, "{\"client-1\": 0.5}"), second, failed));
    assertTrue(
        h.contains(
            "<h2>Per-client accuracy (round 2, the last with any client's value: each client's"
                + " model (the global tensors plus its own LOCAL ones, if any) on its held-out"
                + " data)</h2>"),
        h);
    assertTrue(h.contains("<title>client-1, accuracy: 0.250</title>"), h);
    assertFalse(h.contains("client-2"), h);

    String last = ReportWriter.perClientCharts(List.of(failed, second));
    assertTrue(last.contains("<h2>Per-client accuracy (round 2: each client's model"), last);

    assertEquals("", ReportWriter.perClientCharts(List.of(failed)));
  }

  private static JsonObject round(int n, String clientAccuracy) {
    return JsonParser.parseString(
            "{\"round\": " + n + ", \"client_accuracy\": " + clientAccuracy + "}")
        .getAsJsonObject();
  }

  @Test
  void fewClientsKeepABarEach() {
    List<Double> values = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int c = 0; c < ReportWriter.MAX_CLIENT_BARS; c++) {
      names.add(id(c));
      values.add(c / 1000.0);
    }
    JsonObject round = new JsonObject();
    round.addProperty("round", 3);
    JsonObject acc = new JsonObject();
    for (int c = 0; c < names.size(); c++) {
      acc.addProperty(names.get(c), values.get(c));
    }
    round.add("client_accuracy", acc);
    String h = ReportWriter.perClientCharts(List.of(round));
    assertTrue(h.contains("<title>client-199, accuracy: 0.199</title>"), "a bar per client");
    assertFalse(h.contains("too many for a bar each"));
  }
}
