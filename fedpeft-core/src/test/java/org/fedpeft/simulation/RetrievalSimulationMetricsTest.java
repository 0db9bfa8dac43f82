package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.TinyModels;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.train.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a retrieval task, the simulation's evaluation adds the classifier-as-retriever metrics
 * (recall@5, recall@10, MRR; accuracy is top-1) to metrics.jsonl and summary.json.
 */
class RetrievalSimulationMetricsTest {

  @TempDir Path tmp;

  @Test
  void aRetrievalTaskReportsRecallAndMrr() throws Exception {
    Path model = tmp.resolve("tiny");
    HuggingFaceFolder.save(TinyModels.tiny(3), model);
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "3");
    o.put("rounds", "1");
    o.put("clients", "2");
    o.put("clients_per_round", "2");
    o.put("data.task", "wordnet-sense-retrieval:documents=40");
    o.put("data.partition", "iid");
    o.put("data.max_eval", "60");
    o.put("model.name", model.toString());
    o.put("adapter.method", "none");
    o.put("server.strategy", "fedavg");
    o.put("client.local_steps", "2");
    o.put("client.batch_size", "4");
    Path out = tmp.resolve("run");
    JsonObject summary;
    Evaluation direct;
    try (Simulation sim = Simulation.create(SimulationConfig.of(Map.of(), o, "test"), out)) {
      summary = sim.run(new Simulation.Listener() {});
      direct = sim.evaluateGlobal();
    }
    JsonObject fin = summary.getAsJsonObject("final_metrics");
    assertEquals(
        List.of("accuracy", "loss", "recall@5", "recall@10", "mrr"),
        List.copyOf(fin.keySet()),
        fin.toString());
    double top1 = fin.get("accuracy").getAsDouble();
    double r5 = fin.get("recall@5").getAsDouble();
    double r10 = fin.get("recall@10").getAsDouble();
    double mrr = fin.get("mrr").getAsDouble();
    assertTrue(top1 <= r5 && r5 <= r10 && r10 <= 1, fin.toString());
    assertTrue(mrr >= top1 && mrr <= 1, "MRR lies between top-1 and 1: " + fin);
    assertEquals(direct.metrics().get("mrr"), mrr, 0);
    JsonObject line =
        JsonParser.parseString(Files.readAllLines(out.resolve("metrics.jsonl")).get(0))
            .getAsJsonObject();
    assertEquals(r10, line.get("recall@10").getAsDouble(), 0);
  }
}
