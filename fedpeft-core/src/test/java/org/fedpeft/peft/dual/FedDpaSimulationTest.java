package org.fedpeft.peft.dual;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.io.Safetensors;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.simulation.TinyRuns;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FedDPA and its LoRA baselines in tiny simulations: what travels (read from the bytes of every
 * message), what each client keeps, that aggregation never touches a client's local adapter, that a
 * run interrupted after a checkpoint and resumed ends identical to an uninterrupted one (each
 * client's local adapter included), FedDPA-F's fine-tune before evaluation, and which strategies
 * accept the baselines' uploads.
 */
class FedDpaSimulationTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 120);
  }

  static SimulationConfig config(Map<String, String> extra) {
    return config(model, data, extra);
  }

  /** FedDPA-T on {@code model} and {@code data}, as this class runs it, with {@code extra}. */
  static SimulationConfig config(Path model, Path data, Map<String, String> extra) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "11");
    o.put("rounds", "3");
    o.put("clients", "4");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.max_eval", "40");
    o.put("model.name", model.toString());
    o.put("adapter.method", "feddpa");
    o.put("adapter.rank", "4");
    o.put("adapter.instances", "3");
    o.put("server.strategy", "fedit");
    o.put("server.weighting", "uniform");
    o.put("client.local_steps", "4");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "1e-2");
    o.put("eval.every", "1");
    o.putAll(extra);
    if (!o.get("adapter.method").equals("feddpa")) {
      o.remove("adapter.instances");
    }
    return SimulationConfig.of(Map.of(), o, "test");
  }

  /** What a run showed: tensor names on the wire, forbidden names seen, sampled clients, states. */
  static final class Observed {
    final Set<String> onTheWire = new TreeSet<>();
    final List<String> forbidden = new ArrayList<>();
    final List<List<String>> sampled = new ArrayList<>();
    final List<SortedMap<String, ClientState>> localAfterRound = new ArrayList<>();
  }

  static Observed run(SimulationConfig c, Path out, List<String> mustNotTravel) throws Exception {
    Observed seen = new Observed();
    try (Simulation sim = Simulation.create(c, out)) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            for (String f : mustNotTravel) {
              if (text.contains(f)) {
                seen.forbidden.add(f + " in " + phase + " " + direction + " of " + client);
              }
            }
            seen.onTheWire.addAll(Safetensors.deserialize(bytes, "message").names());
          });
      sim.run(
          new Simulation.Listener() {
            @Override
            public void onRound(RoundReport report, Map<String, Object> line) {
              seen.sampled.add(report.sampled());
              try {
                seen.localAfterRound.add(RunCheckpoint.load(out).local());
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            }
          });
    }
    return seen;
  }

  static Map<String, HostTensor> withPrefix(ClientState s, String prefix) {
    Map<String, HostTensor> out = new TreeMap<>();
    s.tensors()
        .forEach(
            (k, v) -> {
              if (k.startsWith(prefix)) {
                out.put(k, v);
              }
            });
    return out;
  }

  static double norm(Map<String, HostTensor> tensors, String suffix) {
    double s = 0;
    for (var e : tensors.entrySet()) {
      if (e.getKey().endsWith(suffix)) {
        for (float v : e.getValue().data()) {
          s += v * v;
        }
      }
    }
    return Math.sqrt(s);
  }

  @Test
  void fedDpaTKeepsTheLocalAdapterHomeAndAggregationNeverTouchesIt() throws Exception {
    Path out = tmp.resolve("t");
    Observed seen = run(config(Map.of()), out, List.of("local/", "feddpa."));
    assertEquals(List.of(), seen.forbidden, "no LOCAL tensor name left a client");
    assertFalse(seen.onTheWire.isEmpty());
    for (String name : seen.onTheWire) {
      assertTrue(
          name.startsWith("global/") || name.startsWith("classifier."),
          name + " travelled; only the global adapter and the head may");
    }
    assertTrue(seen.onTheWire.stream().anyMatch(n -> n.endsWith(".lora_A")));
    assertTrue(seen.onTheWire.stream().anyMatch(n -> n.endsWith(".lora_B")));

    RunCheckpoint cp = RunCheckpoint.load(out);
    for (String name : cp.state().global().keySet()) {
      assertTrue(name.startsWith("global/") || name.startsWith("classifier."), name);
    }
    // Round 1 trains the global adapter only; from round 2 each sampled client trains its local
    // adapter; aggregation (and other clients' training) leaves every local adapter as it was.
    int trainedChecked = 0;
    int untouchedChecked = 0;
    for (int r = 1; r < seen.sampled.size(); r++) {
      SortedMap<String, ClientState> before = seen.localAfterRound.get(r - 1);
      SortedMap<String, ClientState> after = seen.localAfterRound.get(r);
      for (String client : after.keySet()) {
        Map<String, HostTensor> now = withPrefix(after.get(client), "local/");
        Map<String, HostTensor> was =
            before.containsKey(client) ? withPrefix(before.get(client), "local/") : Map.of();
        if (seen.sampled.get(r).contains(client)) {
          assertNotEquals(was, now, "round " + (r + 1) + ": " + client + " trained its local");
          assertTrue(norm(now, ".lora_B") > 0, client + "'s local B was trained");
          trainedChecked++;
        } else if (!was.isEmpty()) {
          assertEquals(was, now, "round " + (r + 1) + ": " + client + " did not train");
          untouchedChecked++;
        }
      }
    }
    assertEquals(4, trainedChecked, "two clients per round in rounds 2 and 3");
    assertTrue(untouchedChecked > 0, "a client with a local state sat a round out");
    int trainedLocals = 0;
    List<Map<String, HostTensor>> locals = new ArrayList<>();
    for (var e : cp.local().entrySet()) {
      Map<String, HostTensor> l = withPrefix(e.getValue(), "local/");
      if (norm(l, ".lora_B") > 0) {
        trainedLocals++;
        locals.add(l);
        HostTensor status = e.getValue().tensors().get(FedDpaAdapter.STATUS);
        assertNotNull(status);
        assertEquals(1f, status.data()[FedDpaAdapter.READY], e.getKey() + " local trained");
        assertEquals(3f, status.data()[FedDpaAdapter.ANCHOR_COUNT], e.getKey() + " anchors");
      }
    }
    assertTrue(trainedLocals >= 2, "clients sampled after round 1 trained a local adapter");
    assertNotEquals(locals.get(0), locals.get(1), "each client has its own local adapter");
  }

  /** Round 2's checkpoint is written, then the run stops (as after a crash); --resume continues. */
  @Test
  void aRunResumedFromItsCheckpointEndsIdenticalIncludingEveryLocalAdapter() throws Exception {
    SimulationConfig c = config(Map.of("rounds", "4"));
    Path whole = tmp.resolve("whole");
    run(c, whole, List.of());

    Path parts = tmp.resolve("parts");
    TinyRuns.stopAfterRound(c, parts, 2);
    RunCheckpoint mid = RunCheckpoint.load(parts);
    assertEquals(2, mid.state().round());
    assertFalse(Files.exists(parts.resolve("summary.json")));
    try (Simulation sim = Simulation.resume(parts)) {
      sim.run(new Simulation.Listener() {});
    }

    RunCheckpoint a = RunCheckpoint.load(whole);
    RunCheckpoint b = RunCheckpoint.load(parts);
    assertEquals(4, b.state().round());
    assertEquals(a.state().global(), b.state().global(), "server state");
    assertEquals(a.local().keySet(), b.local().keySet());
    for (String client : a.local().keySet()) {
      assertEquals(a.local().get(client), b.local().get(client), client + "'s local state");
    }
    assertTrue(
        a.local().values().stream().anyMatch(s -> norm(withPrefix(s, "local/"), ".lora_B") > 0),
        "the compared states hold trained local adapters");
    assertEquals(a.metricLines(), b.metricLines(), "metrics");
    assertArrayEquals(
        Files.readAllBytes(whole.resolve(RunCheckpoint.FILE)),
        Files.readAllBytes(parts.resolve(RunCheckpoint.FILE)),
        "the checkpoint files are byte-identical");
  }

  @Test
  void fedDpaFFineTunesTheLocalAdapterFromTheFinalGlobalOneBeforeEvaluating() throws Exception {
    Path out = tmp.resolve("f");
    Map<String, String> f = new LinkedHashMap<>();
    f.put("adapter.variant", "F");
    f.put("adapter.finetune_epochs", "0.5");
    f.put("rounds", "2");
    f.put("clients_per_round", "4");
    Observed seen = run(config(f), out, List.of("local/", "feddpa."));
    assertEquals(List.of(), seen.forbidden);
    RunCheckpoint cp = RunCheckpoint.load(out);
    Map<String, HostTensor> global = new TreeMap<>();
    cp.state()
        .global()
        .forEach(
            (k, v) -> {
              if (k.startsWith("global/")) {
                global.put(k.substring("global/".length()), v);
              }
            });
    assertEquals(4, cp.local().size(), "every client evaluated, so every client fine-tuned");
    Map<String, float[]> finalGlobal = new TreeMap<>();
    cp.state()
        .global()
        .forEach(
            (k, v) -> {
              if (k.startsWith("global/")) {
                finalGlobal.put(k, v.data());
              }
            });
    float[] fromFinal = FedDpaAdapter.fingerprint(finalGlobal);
    for (var e : cp.local().entrySet()) {
      float[] status = e.getValue().tensors().get(FedDpaAdapter.STATUS).data();
      assertEquals(1f, status[FedDpaAdapter.READY]);
      assertArrayEquals(
          fromFinal,
          java.util.Arrays.copyOfRange(status, FedDpaAdapter.FINGERPRINT, 6),
          e.getKey() + " fine-tuned from the final global adapter");
      Map<String, HostTensor> local = new TreeMap<>();
      withPrefix(e.getValue(), "local/").forEach((k, v) -> local.put(k.substring(6), v));
      assertEquals(global.keySet(), local.keySet());
      assertNotEquals(global, local, e.getKey() + "'s local adapter was fine-tuned");
      // Fine-tuned from the final global adapter: a short fine-tune stays close to it.
      double diff = 0;
      double size = 0;
      for (String k : global.keySet()) {
        float[] g = global.get(k).data();
        float[] l = local.get(k).data();
        for (int i = 0; i < g.length; i++) {
          diff += (g[i] - l[i]) * (g[i] - l[i]);
          size += g[i] * g[i];
        }
      }
      assertTrue(Math.sqrt(diff) < Math.sqrt(size), e.getKey() + ": near the global adapter");
    }
  }

  @Test
  void fedLoraSendsOnlyTheHeadUnderFedIt() throws Exception {
    Path out = tmp.resolve("fedlora");
    Observed seen =
        run(config(Map.of("adapter.method", "fedlora", "rounds", "2")), out, List.of("lora_"));
    assertEquals(List.of(), seen.forbidden, "no LoRA factor travels");
    assertEquals(Set.of("classifier.bias", "classifier.weight"), seen.onTheWire);
    RunCheckpoint cp = RunCheckpoint.load(out);
    for (ClientState s : cp.local().values()) {
      assertTrue(norm(s.tensors(), ".lora_B") > 0, "the local LoRA trained");
    }
  }

  @Test
  void fedSaLoraSharesAOnlyUnderFedAvg() throws Exception {
    Path out = tmp.resolve("fedsa");
    Map<String, String> o =
        Map.of("adapter.method", "fedsa-lora", "server.strategy", "fedavg", "rounds", "2");
    Observed seen = run(config(o), out, List.of("lora_B"));
    assertEquals(List.of(), seen.forbidden, "B never travels");
    assertTrue(seen.onTheWire.stream().anyMatch(n -> n.endsWith(".lora_A")));
    for (String n : seen.onTheWire) {
      assertTrue(n.endsWith(".lora_A") || n.startsWith("classifier."), n);
    }
    RunCheckpoint cp = RunCheckpoint.load(out);
    for (ClientState s : cp.local().values()) {
      assertTrue(s.tensors().keySet().stream().allMatch(n -> n.endsWith(".lora_B")));
    }

    // FedIT pairs every A with its B, so the config refuses fedsa-lora under it (the default).
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Simulation.create(
                        config(Map.of("adapter.method", "fedsa-lora")), tmp.resolve("fedsa-fedit"))
                    .close());
    assertTrue(
        e.getMessage().contains("adapter.method = fedsa-lora shares A alone"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("fedsa-fedit")), "refused before the run folder");
  }
}
