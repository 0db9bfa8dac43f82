package org.fedpeft.peft.softembed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.Role;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The soft-embedding adapter and a classifier-as-retriever head (labels = document ids) trained
 * together by FedAvg on a tiny model, with clients holding disjoint documents (shards:1): without
 * DP, with sample-level DP-SGD at each client, and with client-level DP-FedAvg.
 */
class SoftEmbedFederatedTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndQueries() throws Exception {
    model = tmp.resolve("tiny");
    HuggingFaceFolder.save(TinyModels.tiny(3), model);
    data = tmp.resolve("queries.jsonl");
    String[] docs = {"apple pear", "hammer saw", "run swim", "fish boat", "red blue", "cat dog"};
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      lines.add(
          "{\"text\": \""
              + docs[i % docs.length]
              + " query "
              + i
              + "\", \"label\": \"doc-"
              + (i % docs.length)
              + "\"}");
    }
    Files.write(data, lines);
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "sample", "client"})
  void trainsTheAdapterAndTheHeadTogether(String privacy) throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "3");
    o.put("clients", "6");
    o.put("clients_per_round", "3");
    o.put("data.file", data.toString());
    o.put("data.partition", "shards:1");
    o.put("data.max_eval", "30");
    o.put("model.name", model.toString());
    o.put("adapter.method", "softembed");
    o.put("adapter.form", "lowrank");
    o.put("adapter.rank", "4");
    o.put("server.strategy", "fedavg");
    o.put("client.local_steps", "3");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "1e-2");
    o.put("eval.every", "3");
    o.put("privacy.mode", privacy);
    if (!privacy.equals("none")) { // without a mode, a privacy setting is a config error
      o.put("privacy.noise", "seeded");
      o.put("privacy." + privacy + ".noise_multiplier", privacy.equals("sample") ? "0.8" : "0.5");
    }
    Path out = tmp.resolve("run-" + privacy);
    JsonObject summary;
    try (Simulation sim = Simulation.create(SimulationConfig.of(Map.of(), o, "test"), out)) {
      summary = sim.run(new Simulation.Listener() {});
    }
    assertEquals(3, summary.get("rounds").getAsInt());
    assertEquals("softembed", summary.get("adapter").getAsString());
    if (!privacy.equals("none")) {
      assertTrue(summary.get("epsilon").getAsDouble() > 0, summary.toString());
    }
    AdapterFiles.Saved saved = AdapterFiles.read(out.resolve("adapter"));
    assertEquals("softembed", saved.method());
    assertEquals(6, saved.labels().size()); // one output per document
    assertEquals(Role.GLOBAL, saved.roles().get("soft_embed.P"));
    // P starts at zero; the aggregated rounds moved it (and the head).
    HostTensor p = saved.adapterTensors().get("soft_embed.P");
    assertTrue(p.squaredNorm() > 0, "soft_embed.P was trained");
    assertTrue(saved.headTensors().get("classifier.weight").squaredNorm() > 0);
  }
}
