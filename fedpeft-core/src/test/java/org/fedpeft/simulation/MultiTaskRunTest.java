package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.io.Safetensors;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.run.Population;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A multi-task federation (one task per client, {@code natural:task}) with per-task heads: each
 * client sends only its own task's head, each task's head on the server is the mean over the
 * clients that own the task, and every client reports P and TTP, which for a method without LOCAL
 * tensors must equal the global model's per-task accuracy computed independently, task by task,
 * with a plain single-task head.
 */
class MultiTaskRunTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    List<String> lines = new ArrayList<>();
    String[] a = {"fruit apple pear", "tool hammer saw"};
    String[] b = {"sport run swim", "sea fish boat", "sky cloud rain"};
    for (int i = 0; i < 90; i++) {
      lines.add(
          "{\"text\": \""
              + a[i % 2]
              + " item "
              + i
              + "\", \"label\": \"a"
              + (i % 2)
              + "\", \"task\": \"alpha\"}");
      lines.add(
          "{\"text\": \""
              + b[i % 3]
              + " thing "
              + i
              + "\", \"label\": \"b"
              + (i % 3)
              + "\", \"task\": \"beta\"}");
    }
    data = tmp.resolve("multi.jsonl");
    Files.write(data, lines);
  }

  private static SimulationConfig config() {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "2");
    o.put("clients", "2");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.partition", "natural:task");
    o.put("data.max_eval", "60");
    o.put("model.name", model.toString());
    o.put("adapter.method", "lora");
    o.put("adapter.rank", "2");
    o.put("server.strategy", "fedit");
    o.put("client.local_steps", "3");
    o.put("client.batch_size", "8");
    o.put("client.learning_rate", "1e-2");
    o.put("eval.every", "1");
    return SimulationConfig.of(Map.of(), o, "test");
  }

  @Test
  void perTaskHeadsTravelOnlyFromTheirOwnersAndPAndTtpMatchTheGlobalModel() throws Exception {
    Path out = tmp.resolve("run");
    Map<String, Set<String>> headsSent = new TreeMap<>();
    Map<String, Map<String, HostTensor>> lastUplink = new TreeMap<>();
    JsonObject summary;
    try (Simulation sim = Simulation.create(config(), out)) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            if (direction == CommunicationLog.Direction.UP && phase == CommunicationLog.Phase.FIT) {
              Map<String, HostTensor> t;
              try {
                t = Safetensors.deserialize(bytes, "update").floatTensors();
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              Set<String> heads = new TreeSet<>();
              t.keySet().stream().filter(n -> n.startsWith("classifier.")).forEach(heads::add);
              synchronized (headsSent) {
                headsSent.computeIfAbsent(client, k -> new TreeSet<>()).addAll(heads);
                lastUplink.put(client, t);
              }
            }
          });
      summary = sim.run(new Simulation.Listener() {});
    }
    // Clients are ordered by task: client-0 owns alpha, client-1 beta.
    assertEquals(
        Map.of(
            "client-0", Set.of("classifier.alpha.bias", "classifier.alpha.weight"),
            "client-1", Set.of("classifier.beta.bias", "classifier.beta.weight")),
        headsSent,
        "each client sends the head of its own task only");
    RunCheckpoint cp = RunCheckpoint.load(out);
    for (String[] owner : new String[][] {{"client-0", "alpha"}, {"client-1", "beta"}}) {
      String name = "classifier." + owner[1] + ".weight";
      assertArrayEquals(
          lastUplink.get(owner[0]).get(name).data(),
          cp.state().global().get(name).data(),
          "the server's " + owner[1] + " head is the mean over its one owner: its upload");
    }

    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    JsonObject last = JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
    double accAlpha = last.get("accuracy.alpha").getAsDouble();
    double accBeta = last.get("accuracy.beta").getAsDouble();
    JsonObject p = last.getAsJsonObject("client_personalization");
    JsonObject ttp = last.getAsJsonObject("client_test_time_personalization");
    // LoRA has no LOCAL tensors: each client's model is the global one.
    assertEquals(accAlpha, p.get("client-0").getAsDouble(), 1e-12, "P of the alpha client");
    assertEquals(accBeta, p.get("client-1").getAsDouble(), 1e-12, "P of the beta client");
    assertEquals((accAlpha + accBeta) / 2, ttp.get("client-0").getAsDouble(), 1e-12);
    assertEquals((accAlpha + accBeta) / 2, ttp.get("client-1").getAsDouble(), 1e-12);
    assertEquals(
        (accAlpha + accBeta) / 2, summary.get("personalization").getAsDouble(), 1e-12, "P mean");
    assertEquals(
        (accAlpha + accBeta) / 2,
        summary.get("test_time_personalization").getAsDouble(),
        1e-12,
        "TTP mean");
    assertTrue(summary.has("personalization_per_client"));

    // Independently: each task's test split alone, scored by a plain single-task head holding that
    // task's block of the saved head.
    AdapterFiles.Saved saved = AdapterFiles.read(out.resolve("adapter"));
    assertEquals(Set.of("alpha", "beta"), saved.taskLabels().keySet());
    TaskSplits splits = Population.loadSplits(config());
    try (FrozenBase base = new FrozenBase(PretrainedModel.load(model.toString()));
        Adapter lora = AdapterFiles.instantiate(out.resolve("adapter"), saved, base.encoder())) {
      for (String task : List.of("alpha", "beta")) {
        TaskSplits one = splits.taskView(task);
        try (ClassificationHead head =
            new ClassificationHead(
                base.root(), base.encoder().config().hiddenSize(), one.labels().size(), 0)) {
          head.loadState(
              Map.of(
                  "classifier.weight", saved.headTensors().get("classifier." + task + ".weight"),
                  "classifier.bias", saved.headTensors().get("classifier." + task + ".bias")));
          Evaluation ev =
              new LocalTrainer(new ClassifierModel(base.encoder(), lora, head))
                  .evaluate(base.encode(one.test()), 64);
          assertEquals(
              last.get("accuracy." + task).getAsDouble(),
              ev.accuracy(),
              1e-12,
              task + ": the masked multi-task head equals the task's own head");
        }
      }
    }
    assertFalse(lines.isEmpty());
  }
}
