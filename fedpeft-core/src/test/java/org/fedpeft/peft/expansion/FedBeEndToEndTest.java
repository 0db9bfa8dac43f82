package org.fedpeft.peft.expansion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.io.Safetensors;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.run.Population;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.simulation.TinyRuns;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FedBE in a simulation on a tiny model: with budget 1/2 and two new blocks, every client sends
 * exactly one block (and the head), the assignment is recorded in metrics.jsonl, and the saved
 * adapter loads back and evaluates to the run's own final figures.
 */
class FedBeEndToEndTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 120);
  }

  private static SimulationConfig config() {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "11");
    o.put("rounds", "3");
    o.put("clients", "4");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.partition", "dirichlet:0.5");
    o.put("data.max_eval", "40");
    o.put("model.name", model.toString());
    o.put("adapter.method", "fedbe");
    o.put("adapter.blocks", "2");
    o.put("server.strategy", "fedbe");
    o.put("client.local_steps", "3");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "1e-2");
    o.put("client.budgets", "0.5");
    o.put("eval.every", "3");
    return SimulationConfig.of(Map.of(), o, "test");
  }

  @Test
  void clientsSendTheirAssignedBlockOnlyAndTheSavedAdapterEvaluatesAsTheRun() throws Exception {
    Path out = tmp.resolve("run");
    List<Set<String>> uplinkBlocks = new ArrayList<>();
    JsonObject summary;
    try (Simulation sim = Simulation.create(config(), out)) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            if (direction == CommunicationLog.Direction.UP && phase == CommunicationLog.Phase.FIT) {
              Set<String> blocks = new TreeSet<>();
              for (String n : Safetensors.deserialize(bytes, "update").names()) {
                if (n.startsWith("fedbe.")) {
                  blocks.add(n.substring(0, n.indexOf('.', 6)));
                }
              }
              uplinkBlocks.add(blocks);
            }
          });
      summary = sim.run(new Simulation.Listener() {});
    }
    assertEquals(6, uplinkBlocks.size(), "3 rounds of 2 clients");
    for (Set<String> b : uplinkBlocks) {
      assertEquals(1, b.size(), "ceil(2 * 0.5) = 1 block per client: " + uplinkBlocks);
    }
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    for (String line : lines) {
      JsonObject l = JsonParser.parseString(line).getAsJsonObject();
      JsonObject strategy = l.getAsJsonObject("strategy");
      for (var sampled : l.getAsJsonArray("sampled")) {
        double mask = strategy.get("fedbe.blocks." + sampled.getAsString()).getAsDouble();
        assertTrue(mask == 1 || mask == 2, line);
      }
    }

    AdapterFiles.Saved saved = AdapterFiles.read(out.resolve("adapter"));
    assertEquals("fedbe", saved.method());
    assertTrue(saved.roles().values().stream().allMatch(r -> r == Role.GLOBAL));
    assertEquals(24, saved.roles().size(), "2 blocks of 12 tensors");
    try (FrozenBase base = new FrozenBase(PretrainedModel.load(model.toString()))) {
      Adapter loaded = AdapterFiles.instantiate(out.resolve("adapter"), saved, base.encoder());
      boolean trained = false;
      for (AdapterTensor t : loaded.tensors()) {
        HostTensor s = saved.adapterTensors().get(t.name());
        assertArrayEquals(s.data(), t.array().toFloatArray(), t.name() + " loads exactly");
        if (t.name().endsWith("attn_out.weight")) {
          for (float v : s.data()) {
            trained |= v != 0;
          }
        }
      }
      assertTrue(trained, "the output projections moved away from zero");
      ClassificationHead head =
          new ClassificationHead(
              base.root(), base.encoder().config().hiddenSize(), saved.labels().size(), 0);
      head.loadState(saved.headTensors());
      TaskSplits splits = Population.loadSplits(config());
      Evaluation ev =
          new LocalTrainer(new ClassifierModel(base.encoder(), loaded, head))
              .evaluate(base.encode(splits.test()), 64);
      assertEquals(summary.get("final_accuracy").getAsDouble(), ev.accuracy(), 0);
      assertEquals(summary.get("final_loss").getAsDouble(), ev.loss(), 0);
      loaded.close();
      head.close();
    }
  }
}
