package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a multi-task run: each task's accuracy and loss are drawn together in one chart
 * each, and P beside TTP, instead of one chart per key.
 */
class ReportMultiTaskTest {

  @TempDir Path tmp;

  @Test
  void perTaskMetricsShareOneChartAndPAndTtpAnother() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    try (Stream<Path> files = Files.list(ReportRuns.run())) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, run.resolve(f.getFileName()));
      }
    }
    List<String> lines = new ArrayList<>();
    for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(l).getAsJsonObject();
      if (o.has("accuracy")) {
        o.addProperty("accuracy.alpha", 0.5);
        o.addProperty("accuracy.beta", 0.25);
        o.addProperty("loss.alpha", 1.5);
        o.addProperty("loss.beta", 2.5);
        o.addProperty("personalization", 0.6);
        o.addProperty("test_time_personalization", 0.4);
      }
      lines.add(o.toString());
    }
    Files.write(run.resolve("metrics.jsonl"), lines);
    String html = Files.readString(ReportWriter.write(run));
    assertTrue(html.contains("Accuracy of each task per round"), "one chart of task accuracies");
    assertTrue(html.contains("Loss of each task per round"), "one chart of task losses");
    assertTrue(html.contains("P and TTP per round"), "P beside TTP");
    assertFalse(html.contains("accuracy.alpha per round"), "no chart per task key");
    assertTrue(html.contains("&#9632;</b> alpha</span>"), "tasks named in the legend");
  }
}
