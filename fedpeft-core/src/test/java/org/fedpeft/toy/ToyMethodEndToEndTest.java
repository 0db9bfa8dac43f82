package org.fedpeft.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.io.Safetensors;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.run.Population;
import org.fedpeft.run.RunCheckpoint;
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
 * The extension path end to end with {@link ToyMethod}, a method that lives only in the test
 * sources and is registered by one service line: it runs in a simulation (two training phases, a
 * LOCAL, a ROUND and a FROZEN_SHARED tensor), its LOCAL tensors persist in the clients' state, no
 * tensor but the GLOBAL ones ever appears in the bytes the simulation's transport carries, and the
 * saved adapter loads back and evaluates to the run's own final figures.
 */
class ToyMethodEndToEndTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 120);
  }

  private static SimulationConfig config() {
    return config(Map.of());
  }

  private static SimulationConfig config(Map<String, String> extra) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "11");
    o.put("rounds", "3");
    o.put("clients", "4");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.max_eval", "40");
    o.put("model.name", model.toString());
    o.put("adapter.method", "toy");
    o.put("server.strategy", "fedavg");
    o.put("client.local_steps", "4");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "1e-2");
    o.put("eval.every", "1");
    o.putAll(extra);
    return SimulationConfig.of(Map.of(), o, "test");
  }

  @Test
  void theToyMethodIsFoundThroughItsServiceLine() {
    assertTrue(AdapterRegistry.all().containsKey("toy"), AdapterRegistry.all().keySet().toString());
    assertFalse(AdapterRegistry.builtIn().containsKey("toy"), "not a method fedpeft ships");
  }

  /**
   * User audit: a run whose every client evaluation failed reported {@code client_accuracy: {}}
   * with the failures only in metrics.jsonl. summary.json counts them, so a run cannot report
   * nothing without saying why.
   */
  @Test
  void failedClientEvaluationsAreCountedInTheSummary() throws Exception {
    Path out = tmp.resolve("failing-evaluations");
    JsonObject summary;
    try (Simulation sim =
        Simulation.create(config(Map.of("rounds", "2", "adapter.fail_personalise", "true")), out)) {
      summary = sim.run(new Simulation.Listener() {});
    }
    int failures = 0;
    for (String line : java.nio.file.Files.readAllLines(out.resolve("metrics.jsonl"))) {
      JsonObject o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      assertEquals(0, o.getAsJsonObject("client_accuracy").size(), line);
      failures += o.getAsJsonArray("eval_failures").size();
      assertTrue(o.toString().contains("toy: fail_personalise = true"), line);
    }
    assertTrue(failures >= 2, "every evaluated client failed, in each of the 2 evaluations");
    assertEquals(failures, summary.get("client_eval_failures").getAsInt());
    // a run whose evaluations succeed says 0
    try (Simulation sim = Simulation.create(config(Map.of("rounds", "1")), tmp.resolve("ok"))) {
      assertEquals(0, sim.run(new Simulation.Listener() {}).get("client_eval_failures").getAsInt());
    }
  }

  @Test
  void runsInASimulationKeepsLocalTensorsHomeAndSavesLoadsAndEvaluates() throws Exception {
    Path out = tmp.resolve("run");
    List<String> seen = new ArrayList<>();
    Set<String> tensorsOnTheWire = new TreeSet<>();
    JsonObject summary;
    try (Simulation sim = Simulation.create(config(), out)) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            for (String forbidden : List.of("toy.local", "toy.scale", "toy.frozen")) {
              if (text.contains(forbidden)) {
                seen.add(forbidden + " in " + phase + " " + direction + " of " + client);
              }
            }
            tensorsOnTheWire.addAll(Safetensors.deserialize(bytes, "message").names());
            if (direction == CommunicationLog.Direction.UP && phase == CommunicationLog.Phase.FIT) {
              seen.add("uplink");
            }
          });
      summary = sim.run(new Simulation.Listener() {});
    }
    assertTrue(seen.contains("uplink"), "the tap saw the clients' updates");
    seen.removeIf(s -> s.equals("uplink"));
    assertEquals(List.of(), seen, "no LOCAL, ROUND or FROZEN_SHARED tensor name left a client");
    assertEquals(
        Set.of("classifier.bias", "classifier.weight", "toy.global"),
        tensorsOnTheWire,
        "only GLOBAL tensors travel");

    RunCheckpoint cp = RunCheckpoint.load(out);
    assertEquals(
        Set.of("classifier.bias", "classifier.weight", "toy.global"),
        cp.state().global().keySet(),
        "the server holds GLOBAL tensors only");
    assertFalse(cp.local().isEmpty(), "clients that trained stored their LOCAL state");
    for (Map.Entry<String, ClientState> e : cp.local().entrySet()) {
      HostTensor local = e.getValue().tensors().get("toy.local");
      assertNotNull(local, e.getKey() + " kept its local vector");
      double norm = 0;
      for (float v : local.data()) {
        norm += v * v;
      }
      assertTrue(norm > 0, e.getKey() + "'s local vector was trained");
      // Each such client's own model is saved, its LOCAL tensor as the client last kept it.
      AdapterFiles.Saved mine =
          AdapterFiles.read(out.resolve("clients").resolve(e.getKey()).resolve("adapter"));
      assertArrayEquals(
          local.data(), mine.adapterTensors().get("toy.local").data(), e.getKey() + "'s adapter");
      assertEquals(e.getKey(), mine.extra().get("client").getAsString());
    }
    assertEquals(
        out.resolve("clients").toString(), summary.get("client_adapters_dir").getAsString());
    assertTrue(summary.get("clients_keep_local_tensors").getAsBoolean());

    AdapterFiles.Saved saved = AdapterFiles.read(out.resolve("adapter"));
    assertEquals("toy", saved.method());
    assertEquals(11, saved.adapterSeed());
    assertEquals(
        Map.of(
            "toy.global", Role.GLOBAL, "toy.local", Role.LOCAL, "toy.frozen", Role.FROZEN_SHARED),
        saved.roles(),
        "every tensor but the ROUND one is saved, with its role");
    try (FrozenBase base = new FrozenBase(PretrainedModel.load(model.toString()))) {
      Adapter loaded = AdapterFiles.instantiate(out.resolve("adapter"), saved, base.encoder());
      Adapter fresh = AdapterRegistry.get("toy").create(saved.options(), base.encoder(), 11);
      for (AdapterTensor t : loaded.tensors()) {
        HostTensor s = saved.adapterTensors().get(t.name());
        if (s != null) {
          assertArrayEquals(s.data(), t.array().toFloatArray(), t.name() + " loads exactly");
        }
      }
      assertArrayEquals(
          fresh.tensors().get(3).array().toFloatArray(),
          loaded.tensors().get(3).array().toFloatArray(),
          "the FROZEN_SHARED tensor is the seed-derived one");
      fresh.close();
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
