package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report shows what each client trained in each round, decoded from the round lines' records:
 * Ravan's heads ({@code client_adapter.<client>.heads_mask}) and FedBE's blocks ({@code
 * strategy.fedbe.blocks.<client>}), with FedBE's coverage as a chart; the strategy's record is not
 * drawn as a per-client bar chart of bit masks and coverage counts mixed together.
 */
class ReportAssignmentsTest {

  @TempDir Path tmp;

  /** The shared tiny run, its round lines passed through {@code edit}. */
  private Path run(java.util.function.Consumer<JsonObject> edit) throws Exception {
    return ReportRuns.copyWithMetrics(
        tmp.resolve("run"),
        o -> {
          if (o.has("event") && o.get("event").getAsString().equals("round")) {
            JsonArray sampled = new JsonArray();
            sampled.add("client-0");
            sampled.add("client-1");
            o.add("sampled", sampled);
            edit.accept(o);
          }
        });
  }

  @Test
  void ravanHeadsPerClientAndRound() throws Exception {
    Path run =
        run(
            o -> {
              JsonObject ca = new JsonObject();
              JsonObject c0 = new JsonObject();
              c0.addProperty("heads_mask", 13.0); // heads 0, 2, 3
              c0.addProperty("heads_trained", 3.0);
              JsonObject c1 = new JsonObject();
              c1.addProperty("heads_mask", 2.0); // head 1
              c1.addProperty("heads_trained", 1.0);
              ca.add("client-0", c0);
              ca.add("client-1", c1);
              o.add("client_adapter", ca);
            });
    String html = Files.readString(ReportWriter.write(run));
    assertTrue(html.contains("What each client trained, per round"), "a section for it");
    assertTrue(html.contains("<td>client-0</td><td>heads 0, 2, 3</td>"), "client-0's heads");
    assertTrue(html.contains("<td>client-1</td><td>head 1</td>"), "client-1's head");
    assertTrue(html.contains("Ravan: the heads i"), "explained");
  }

  @Test
  void fedBeBlocksPerClientAndCoverageAsAChart() throws Exception {
    Path run =
        run(
            o -> {
              JsonObject st = new JsonObject();
              st.addProperty("fedbe.blocks.client-0", 3.0); // blocks 0, 1
              st.addProperty("fedbe.blocks.client-1", 2.0); // block 1
              st.addProperty("fedbe.coverage.0", 1.0);
              st.addProperty("fedbe.coverage.1", 2.0);
              o.add("strategy", st);
            });
    String html = Files.readString(ReportWriter.write(run));
    assertTrue(html.contains("<td>client-0</td><td>blocks 0, 1</td>"), "client-0's blocks");
    assertTrue(html.contains("<td>client-1</td><td>block 1</td>"), "client-1's block");
    assertTrue(html.contains("FedBE: the new blocks j"), "explained");
    assertTrue(html.contains("fedbe.coverage per round (server strategy)"), "coverage chart");
    assertTrue(html.contains("&#9632;</b> block 0</span>"), "coverage per block in the legend");
    assertFalse(html.contains("Per-client strategy"), "no bar chart of masks and counts");
  }

  @Test
  void otherPerClientStrategyValuesAreListedAsTheyAre() throws Exception {
    Path run =
        run(
            o -> {
              JsonObject st = new JsonObject();
              st.addProperty("hetlora.rank.client-0", 4.0);
              st.addProperty("hetlora.rank.client-1", 2.0);
              st.addProperty("hetlora.pruned", 0.0);
              o.add("strategy", st);
            });
    String html = Files.readString(ReportWriter.write(run));
    assertTrue(html.contains("<td>client-0</td><td>hetlora.rank 4</td>"), html);
    assertTrue(html.contains("hetlora.pruned per round (server strategy)"), "round value charted");
  }
}
