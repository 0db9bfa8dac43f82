package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedpeft.config.ConfigException;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.io.Safetensors;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.train.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Federated training with the contrastive objective ({@code client.objective = "contrastive"}):
 * clients train and send the adapter only, the global model and the clients are evaluated by MIPS
 * over the corpus, and the settings that cannot work are refused naming the key.
 */
class ContrastiveSimulationTest {

  @TempDir Path tmp;

  private Map<String, String> options() throws Exception {
    Path[] f = TinyRuns.retrievalFiles(tmp);
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "9");
    o.put("rounds", "2");
    o.put("clients", "3");
    o.put("clients_per_round", "3");
    o.put("data.file", f[1].toString());
    o.put("data.test", f[2].toString());
    o.put("data.corpus", f[0].toString());
    o.put("data.partition", "labels");
    o.put("data.client_holdout", "0.25");
    o.put("model.name", TinyRuns.model(tmp.resolve("tiny")).toString());
    o.put("adapter.method", "softembed");
    o.put("server.strategy", "fedavg");
    o.put("client.local_steps", "3");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "0.01");
    o.put("client.objective", "contrastive");
    o.put("client.temperature", "0.1");
    o.put("eval.every", "1");
    return o;
  }

  @Test
  void clientsSendTheAdapterOnlyAndEvaluationIsByMips() throws Exception {
    Path out = tmp.resolve("run");
    Set<String> uplinked = Collections.synchronizedSet(new TreeSet<>());
    List<Double> clientLosses = Collections.synchronizedList(new ArrayList<>());
    JsonObject summary;
    Evaluation again;
    try (Simulation sim =
        Simulation.create(SimulationConfig.of(Map.of(), options(), "test"), out)) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            if (direction == CommunicationLog.Direction.UP && phase == CommunicationLog.Phase.FIT) {
              uplinked.addAll(Safetensors.deserialize(bytes, "message").names());
            }
          });
      summary = sim.run(new Simulation.Listener() {});
      again = sim.evaluateGlobal();
    }
    assertEquals(Set.of("soft_embed.U"), uplinked);
    JsonObject fin = summary.getAsJsonObject("final_metrics");
    assertEquals(
        List.of("accuracy", "loss", "recall@5", "recall@10", "mrr"),
        List.copyOf(fin.keySet()),
        fin.toString());
    assertEquals(again.accuracy(), fin.get("accuracy").getAsDouble(), 0);
    assertEquals(1.0, fin.get("recall@10").getAsDouble(), 0); // 6 documents
    // The loss is the contrastive loss over the whole corpus.
    assertTrue(Double.isFinite(fin.get("loss").getAsDouble()) && fin.get("loss").getAsDouble() > 0);
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertTrue(o.has("train_loss"), line);
      assertTrue(o.getAsJsonObject("client_accuracy").size() > 0, line);
      clientLosses.add(o.get("train_loss").getAsDouble());
    }
    assertEquals(2, clientLosses.size());
    AdapterFiles.Saved saved = AdapterFiles.read(out.resolve("adapter"));
    assertEquals("contrastive", saved.extra().get("objective").getAsString());
    assertEquals(0.1, saved.extra().get("temperature").getAsDouble(), 0);
    assertFalse(saved.adapterTensors().isEmpty());
  }

  @Test
  void settingsThatCannotTrainContrastivelyAreRefused() throws Exception {
    Map<String, String> none = options();
    none.put("adapter.method", "none");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.of(Map.of(), none, "test"));
    assertTrue(e.getMessage().contains("client.objective"), e.getMessage());
    assertTrue(e.getMessage().contains("adapter.method other than none"), e.getMessage());

    Map<String, String> dp = options();
    dp.put("privacy.mode", "sample");
    dp.put("privacy.sample.noise_multiplier", "1.0");
    e = assertThrows(ConfigException.class, () -> SimulationConfig.of(Map.of(), dp, "test"));
    assertTrue(e.getMessage().contains("in-batch negatives"), e.getMessage());

    Map<String, String> classification = options();
    classification.put("data.corpus", "");
    classification.put("data.test", "");
    classification.put("data.file", TinyRuns.topicData(tmp.resolve("topics.jsonl"), 40).toString());
    IllegalArgumentException n =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Simulation.create(
                    SimulationConfig.of(Map.of(), classification, "test"), tmp.resolve("r")));
    assertTrue(n.getMessage().contains("needs a retrieval task"), n.getMessage());

    Map<String, String> badTau = options();
    badTau.put("client.temperature", "0");
    assertThrows(ConfigException.class, () -> SimulationConfig.of(Map.of(), badTau, "test"));
  }
}
