package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's retention table and rounds to target, from a hand-written summary.json. */
class ReportRetentionTest {

  @TempDir Path tmp;

  static final String SUMMARY =
      "{\"strategy\":\"fedbe\",\"task\":\"wordnet-noun-topic\",\"final_accuracy\":0.61,"
          + "\"target_accuracy\":0.5,\"rounds_to_target\":null,\"retention\":{"
          + "\"retrieval\":{\"task\":\"wordnet-sense-retrieval\",\"before\":0.4,\"after\":0.3,"
          + "\"ratio\":0.75,\"examples\":500},"
          + "\"centroid\":{\"task\":\"wordnet-verb-topic\",\"before\":0.5,\"after\":0.45,"
          + "\"ratio\":0.9,\"examples\":480},\"mean_ratio\":0.825,\"seconds\":12.5}}";

  @Test
  void theRetentionTableShowsEachPartAndTheMean() {
    JsonObject s = JsonParser.parseString(SUMMARY).getAsJsonObject();
    String table = ReportWriter.retentionTable(s);
    assertTrue(
        table.contains(
            "<tr><th>retrieval</th><td>wordnet-sense-retrieval</td><td class=\"n\">0.400</td>"
                + "<td class=\"n\">0.300</td><td class=\"n\">0.750</td><td class=\"n\">500</td>"
                + "</tr>"),
        table);
    assertTrue(table.contains("<th>centroid</th><td>wordnet-verb-topic</td>"), table);
    assertTrue(table.contains("0.825"), table);
    assertEquals("", ReportWriter.retentionTable(new JsonObject()));
  }

  @Test
  void theReportSaysWhenTheTargetWasNotReached() throws Exception {
    Files.writeString(tmp.resolve("summary.json"), SUMMARY);
    String html = Files.readString(ReportWriter.write(tmp));
    assertTrue(html.contains("<tr><th>rounds_to_target</th><td>not reached</td></tr>"), html);
    assertTrue(html.contains("<th>target_accuracy</th><td>0.500</td>"), html);
    assertTrue(html.contains("Retention of the base model"), html);
  }
}
