package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * simulate's summary.json records the run's trainable parameters as train's does (before, only
 * train recorded them, so a simulation's report could not say how many parameters its method
 * trains), and report.html shows them in its summary table.
 */
class SimulateTrainableParametersCliTest {

  @TempDir Path tmp;

  @Test
  void aSimulationCountsItsTrainableParametersAsTrainDoesAndTheReportShowsThem() throws Exception {
    CliRun.TinyRun trained = CliRun.tinyTrainedAdapter(tmp.resolve("train"));
    long byTrain =
        summary(tmp.resolve("train").resolve("run")).get("trainable_parameters").getAsLong();
    assertTrue(byTrain > 0);
    Path out = tmp.resolve("sim");
    CliRun.Result r =
        CliRun.smallSimulate(
            tmp.resolve("run.toml"), out, trained.model(), trained.data(), "[eval]\nevery = 2\n");
    assertEquals(0, r.code(), r.err());
    assertEquals(byTrain, summary(out).get("trainable_parameters").getAsLong());
    String html = Files.readString(out.resolve("report.html"));
    assertTrue(
        html.contains(
            String.format(Locale.ROOT, "<th>trainable_parameters</th><td>%,d</td>", byTrain)),
        html);
  }

  private static JsonObject summary(Path dir) throws Exception {
    return JsonParser.parseString(Files.readString(dir.resolve("summary.json"))).getAsJsonObject();
  }
}
