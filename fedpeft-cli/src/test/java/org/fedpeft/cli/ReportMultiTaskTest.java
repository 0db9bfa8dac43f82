package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
    Path run =
        ReportRuns.copyWithMetrics(
            tmp.resolve("run"),
            o -> {
              if (o.has("accuracy")) {
                o.addProperty("accuracy.alpha", 0.5);
                o.addProperty("accuracy.beta", 0.25);
                o.addProperty("loss.alpha", 1.5);
                o.addProperty("loss.beta", 2.5);
                o.addProperty("personalization", 0.6);
                o.addProperty("test_time_personalization", 0.4);
              }
            });
    String html = Files.readString(ReportWriter.write(run));
    assertTrue(html.contains("Accuracy of each task per round"), "one chart of task accuracies");
    assertTrue(html.contains("Loss of each task per round"), "one chart of task losses");
    assertTrue(html.contains("P and TTP per round"), "P beside TTP");
    assertFalse(html.contains("accuracy.alpha per round"), "no chart per task key");
    assertTrue(html.contains("&#9632;</b> alpha</span>"), "tasks named in the legend");
  }
}
