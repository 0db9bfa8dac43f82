package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Facts a reader of report.html needs that the report left out or mislabelled (found by auditing
 * tiny runs of every method): the budget a run's epsilon was spent against, which of the user's
 * clients or tasks each client of a natural partition holds, how a retrieval run's ranking was
 * scored, what the label grid counts, and no legend entry (nor silence) for the clients' training
 * loss that sample-level DP clients never report.
 */
class ReportUserFactsTest {

  @TempDir Path tmp;

  private static final String ROUND =
      "{\"event\":\"round\",\"round\":%d,\"accuracy\":0.5,\"loss\":1.25,\"epsilon\":%s}\n";

  private String report(String summary, String config, String partition) throws Exception {
    Files.writeString(
        tmp.resolve("metrics.jsonl"), ROUND.formatted(1, "3.5") + ROUND.formatted(2, "4.2"));
    Files.writeString(tmp.resolve("summary.json"), summary);
    if (config != null) {
      Files.writeString(tmp.resolve("config.json"), config);
    }
    if (partition != null) {
      Files.writeString(
          tmp.resolve("partition.json"), partition, java.nio.charset.StandardCharsets.UTF_8);
    }
    return Files.readString(ReportWriter.write(tmp));
  }

  @Test
  void theEpsilonSpentIsShownWithItsBudget() throws Exception {
    String summary =
        "{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":2,\"epsilon\":4.2,\"delta\":1.0E-5}";
    String html = report(summary, "{\"rounds\":2,\"privacy.epsilon\":8.0}", null);
    assertTrue(
        html.contains("<th>epsilon</th><td>4.20 (budget: privacy.epsilon = 8.0)</td>"), html);
    html = report(summary, "{\"rounds\":2,\"privacy.epsilon\":0.0}", null);
    assertTrue(
        html.contains("<th>epsilon</th><td>4.20 (no budget: privacy.epsilon = 0)</td>"), html);
  }

  @Test
  void underSampleLevelDpTheEpsilonIsTheLargestOverTheClientsBesideTheMean() throws Exception {
    String summary =
        "{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":2,\"epsilon\":4.2,"
            + "\"epsilon_mean\":3.1,\"epsilon_per_client\":{\"client-0\":4.2,\"client-1\":2.0,"
            + "\"client-2\":3.1},\"delta\":1.0E-5}";
    String html = report(summary, "{\"rounds\":2,\"privacy.epsilon\":8.0}", null);
    assertTrue(
        html.contains(
            "<th>epsilon</th><td>4.20 (largest over the 3 clients; budget of each:"
                + " privacy.epsilon = 8.0)</td>"),
        html);
    assertTrue(html.contains("<th>epsilon_mean</th><td>3.10 (mean over the 3 clients)</td>"), html);
  }

  @Test
  void theConfigurationTableGreysTheKeysTheRunDidNotRead() throws Exception {
    String html =
        report(
            "{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":2}",
            "{\"rounds\":2,\"data.file\":\"/d.jsonl\",\"data.task\":\"wordnet-noun-topic\"}",
            null);
    assertTrue(
        html.contains(
            "<tr class=\"unused\"><th>data.task</th><td>wordnet-noun-topic <i>not used (data.file"
                + " is set)</i></td></tr>"),
        html);
    assertTrue(html.contains("<tr><th>data.file</th><td>/d.jsonl</td></tr>"), html);
  }

  @Test
  void theConsoleSaysLargestAndMeanAsTheReportDoes() {
    JsonObject summary =
        JsonParser.parseString(
                "{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":2,\"test_examples\":4,\"final_accuracy\":0.5,"
                    + "\"final_loss\":0.7,\"epsilon\":4.2,\"epsilon_mean\":3.1,"
                    + "\"epsilon_per_client\":{\"client-0\":4.2,\"client-1\":2.0},"
                    + "\"delta\":1.0E-5,\"epsilon_sampling\":\"s\",\"private\":true,"
                    + "\"bytes_up_total\":1,\"bytes_down_total\":1,\"adapter_dir\":\"a\"}")
            .getAsJsonObject();
    StringWriter out = new StringWriter();
    SimulateCommand.printResult(
        "simulate",
        summary,
        false,
        tmp.resolve("report.html"),
        new PrintWriter(out, true),
        new PrintWriter(new StringWriter(), true));
    assertTrue(
        out.toString()
            .contains(
                "privacy: largest client epsilon 4.2000 (mean over clients 3.1000) at delta 1.0E-5"),
        out.toString());
  }

  @Test
  void aSampleDpRunsLossChartNamesNoTrainingLossAndSaysWhy() throws Exception {
    String html = report("{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":2}", null, null);
    int loss = html.indexOf("<h2>Loss per round</h2>");
    assertTrue(loss >= 0, html);
    String chart = html.substring(loss, html.indexOf("<h2>", loss + 1));
    assertFalse(chart.contains("clients' training loss</span>"), chart);
    assertTrue(chart.contains("global model, test loss</span>"), chart);
    assertTrue(chart.contains("No clients' training loss: the clients reported none"), chart);
    // A series with points keeps its legend entry, in its colour.
    String both =
        ReportWriter.lineChart(
            List.of(List.of(), List.of(new double[] {1, 2})), List.of("a-name", "b-name"), 2, "y");
    assertFalse(both.contains("a-name"), both);
    assertTrue(both.contains("b-name"), both);
  }

  @Test
  void aNaturalPartitionSaysWhichOfTheUsersClientsEachClientIsEscaped() throws Exception {
    String partition =
        "{\"labels\":[\"<b>x</b>\",\"Zo\u00eb\"],\"clients\":{"
            + "\"client-0\":{\"group\":\"<script>alert(1)</script>\",\"label_histogram\":[3,1],"
            + "\"train\":3,\"holdout\":1},"
            + "\"client-1\":{\"group\":\"\u6771\u4eac & \\\"co\\\" \ud83d\ude80\","
            + "\"label_histogram\":[0,2],\"train\":2,\"holdout\":0}}}";
    String html =
        report(
            "{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":2}",
            "{\"rounds\":2,\"data.partition\":\"natural:client\"}",
            partition);
    assertTrue(
        html.contains(
            "<tr><th>client</th><th>group</th></tr><tr><td>client-0</td>"
                + "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr><tr><td>client-1</td>"
                + "<td>\u6771\u4eac &amp; &quot;co&quot; \ud83d\ude80</td></tr>"),
        html);
    assertFalse(html.contains("<script>"), html);
    // The grid's counts are each client's whole part of the training split (train + holdout).
    assertTrue(html.contains("client-0, &lt;b&gt;x&lt;/b&gt;: 3 of 4 examples"), html);
    assertTrue(html.contains("partition.json's train + holdout"), html);
    // Without groups (any partition but a natural one) there is no such table.
    String plain =
        report(
            "{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":2}",
            null,
            "{\"labels\":[\"a\"],\"clients\":{\"client-0\":{\"label_histogram\":[3],"
                + "\"train\":2,\"holdout\":1}}}");
    assertFalse(plain.contains("<th>group</th>"), plain);
  }

  @Test
  void aRetrievalRunSaysHowItsRankingWasScored() throws Exception {
    String summary =
        "{\"strategy\":\"fedavg\",\"task\":\"t\",\"rounds\":2,\"final_accuracy\":0.9,"
            + "\"final_loss\":0.5,\"final_metrics\":{\"accuracy\":0.9,\"recall@5\":0.97,"
            + "\"recall@10\":1.0,\"mrr\":0.93}}";
    String html = report(summary, "{\"rounds\":2,\"client.objective\":\"contrastive\"}", null);
    assertTrue(
        html.contains("0.970 (retrieval by MIPS with the adapter; final_accuracy is top-1)"), html);
    html = report(summary, "{\"rounds\":2,\"client.objective\":\"classification\"}", null);
    assertTrue(
        html.contains("0.970 (retrieval by classifier-as-retriever; final_accuracy is top-1)"),
        html);
  }

  @Test
  void aServerRunIsNotTitledASimulation() throws Exception {
    String html =
        report("{\"command\":\"server\",\"strategy\":\"fedit\",\"task\":\"t\"}", null, null);
    assertTrue(html.contains("<h1>fedpeft server (deployed clients): fedit on t</h1>"), html);
    html = report("{\"command\":\"simulate\",\"strategy\":\"fedit\",\"task\":\"t\"}", null, null);
    assertTrue(html.contains("<h1>fedpeft simulation: fedit on t</h1>"), html);
  }

  @Test
  void theRoundsRowSaysHowManyWereSkipped() throws Exception {
    String html =
        report(
            "{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":4,\"rounds_configured\":4,"
                + "\"rounds_skipped\":3}",
            null,
            null);
    assertTrue(html.contains("<th>rounds</th><td>4 of 4 (3 skipped: nothing trained)</td>"), html);
    html =
        report(
            "{\"strategy\":\"fedit\",\"task\":\"t\",\"rounds\":4,\"rounds_configured\":4,"
                + "\"rounds_skipped\":0}",
            null,
            null);
    assertTrue(html.contains("<th>rounds</th><td>4 of 4</td>"), html);
  }

  /**
   * QA: a server run of a method with LOCAL tensors (its summary.json has no client_adapters_dir:
   * the clients keep those tensors) named the clients' mean generically, also in a run without a
   * test split (federated evaluation) and in its loss chart; it is each client's own model, as in
   * the simulation's report.
   */
  @Test
  void aServerRunWithLocalTensorsNamesTheClientsOwnModels() throws Exception {
    Files.writeString(
        tmp.resolve("metrics.jsonl"),
        "{\"event\":\"round\",\"round\":1,\"train_loss\":0.9,\"client_accuracy_mean\":0.7,"
            + "\"client_loss_mean\":0.8}\n");
    Files.writeString(
        tmp.resolve("summary.json"),
        "{\"command\":\"server\",\"strategy\":\"fedit\",\"task\":\"t\","
            + "\"adapter_dir\":\"/r/adapter\",\"clients_keep_local_tensors\":true}");
    String html = Files.readString(ReportWriter.write(tmp));
    String own =
        "mean over clients' held-out data, each client's own model (global tensors plus its LOCAL"
            + " ones)";
    assertTrue(html.contains(own + " (federated evaluation)</span>"), html);
    assertTrue(html.contains(own + "</span>"), "the loss chart's legend: " + html);
    assertFalse(html.contains("mean over clients' held-out data<"), html);
  }

  @Test
  void aRunWithLocalTensorsNamesTheClientsOwnModelsAndWhereTheyAre() throws Exception {
    Files.writeString(
        tmp.resolve("metrics.jsonl"),
        "{\"event\":\"round\",\"round\":1,\"accuracy\":0.5,\"client_accuracy_mean\":0.7}\n");
    Files.writeString(
        tmp.resolve("summary.json"),
        "{\"strategy\":\"fedit\",\"task\":\"t\",\"adapter_dir\":\"/r/adapter\","
            + "\"client_adapters_dir\":\"/r/clients\"}");
    String html = Files.readString(ReportWriter.write(tmp));
    assertTrue(html.contains("<th>adapter_dir</th><td>/r/adapter</td>"), html);
    assertTrue(html.contains("<th>client_adapters_dir</th><td>/r/clients</td>"), html);
    assertTrue(
        html.contains(
            "mean over clients' held-out data, each client's own model (global tensors plus its"
                + " LOCAL ones)</span>"),
        html);
  }
}
