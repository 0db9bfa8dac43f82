package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.TinyModels;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A thousand simulated clients in one JVM, on a tiny model. */
class SimulationScaleTest {

  @TempDir Path tmp;

  @Test
  void thousandClientsInOneJvm() throws Exception {
    Path model = tmp.resolve("tiny");
    HuggingFaceFolder.save(TinyModels.tiny(3), model);
    Path data = tmp.resolve("data.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      lines.add(
          "{\"text\": \"item "
              + i
              + " of kind "
              + (i % 5)
              + "\", \"label\": \"k"
              + (i % 5)
              + "\"}");
    }
    Files.write(data, lines);
    SimulationConfig cfg =
        SimulationConfig.of(
            Map.of(),
            Map.ofEntries(
                Map.entry("rounds", "2"),
                Map.entry("clients", "1000"),
                Map.entry("clients_per_round", "10"),
                Map.entry("data.file", data.toString()),
                Map.entry("data.partition", "iid"),
                Map.entry("data.max_eval", "50"),
                Map.entry("model.name", model.toString()),
                Map.entry("adapter.rank", "2"),
                Map.entry("client.local_steps", "2"),
                Map.entry("client.batch_size", "2"),
                Map.entry("eval.every", "2"),
                Map.entry("eval.clients", "20")),
            "test");
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long heapBefore = rt.totalMemory() - rt.freeMemory();
    try (Simulation sim = Simulation.create(cfg, tmp.resolve("out"))) {
      assertEquals(1000, sim.clients().size());
      JsonObject summary = sim.run(new Simulation.Listener() {});
      assertEquals(2, summary.get("rounds").getAsInt());
      System.gc();
      long heapAfter = rt.totalMemory() - rt.freeMemory();
      System.out.printf("1000 clients: heap %d MB -> %d MB%n", heapBefore >> 20, heapAfter >> 20);
      assertTrue(heapAfter - heapBefore < 512L << 20, "heap grew by " + (heapAfter - heapBefore));
    }
    List<String> metrics = Files.readAllLines(tmp.resolve("out/metrics.jsonl"));
    assertEquals(2, metrics.size());
    assertTrue(metrics.get(1).contains("\"accepted\":10"), metrics.get(1));
  }
}
