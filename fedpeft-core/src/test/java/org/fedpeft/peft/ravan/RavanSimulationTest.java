package org.fedpeft.peft.ravan;

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
import java.util.TreeSet;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.io.Safetensors;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.simulation.TinyRuns;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ravan in a simulation with client budgets of 1/2: on the transport, every client's update carries
 * exactly the cores of the heads it reports having trained (in every target module) and the head,
 * nothing else; the downlink carries every core and no frozen factor or scale; and metrics.jsonl
 * records each client's heads.
 */
class RavanSimulationTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 120);
  }

  private static SimulationConfig config(String selection) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "3");
    o.put("clients", "4");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.max_eval", "40");
    o.put("model.name", model.toString());
    o.put("adapter.method", "ravan");
    o.put("adapter.heads", "4");
    o.put("adapter.rank", "2");
    o.put("adapter.targets", "query+value");
    o.put("adapter.head_selection", selection);
    o.put("server.strategy", "fedavg");
    o.put("server.weighting", "uniform");
    o.put("client.budgets", "0.5");
    o.put("client.local_steps", "3");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "1e-2");
    o.put("eval.every", "3");
    return SimulationConfig.of(Map.of(), o, "test");
  }

  @Test
  void eachClientSendsExactlyItsSelectedHeadsRandom() throws Exception {
    run("random", tmp.resolve("random"));
  }

  @Test
  void eachClientSendsExactlyItsSelectedHeadsGradient() throws Exception {
    run("gradient", tmp.resolve("gradient"));
  }

  private static void run(String selection, Path out) throws Exception {
    List<String> problems = new ArrayList<>();
    Set<Set<Integer>> headSets = new java.util.HashSet<>();
    int[] uplinks = {0};
    try (Simulation sim = Simulation.create(config(selection), out)) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            if (phase != CommunicationLog.Phase.FIT) {
              return;
            }
            Set<String> names = new TreeSet<>(Safetensors.deserialize(bytes, "message").names());
            for (String n : names) {
              if (n.contains(".ravan_A") || n.contains(".ravan_B") || n.contains(".ravan_s")) {
                problems.add(n + " on the " + direction + " of " + client);
              }
            }
            if (direction == CommunicationLog.Direction.DOWN) {
              if (names.stream().filter(n -> n.contains(".ravan_H.")).count() != 2 * 2 * 4) {
                problems.add("downlink of " + client + " lacks cores: " + names);
              }
              return;
            }
            uplinks[0]++;
            ClientUpdate u = ClientUpdate.fromBytes(bytes, "update");
            long mask = u.metrics().get("adapter.heads_mask").longValue();
            Set<Integer> heads = new TreeSet<>();
            for (int i = 0; i < 4; i++) {
              if ((mask >> i & 1) == 1) {
                heads.add(i);
              }
            }
            headSets.add(heads);
            Set<String> expected = new TreeSet<>(Set.of("classifier.bias", "classifier.weight"));
            for (int layer = 0; layer < 2; layer++) {
              for (String m : List.of("query", "value")) {
                for (int i : heads) {
                  expected.add(
                      RavanAdapter.coreName("encoder.layer." + layer + ".attention.self." + m, i));
                }
              }
            }
            if (heads.size() != 2 || !expected.equals(names)) {
              problems.add(client + " trained " + heads + " but sent " + names);
            }
            if (u.metrics().get("adapter.heads_trained") != 2.0) {
              problems.add(client + " reports " + u.metrics().get("adapter.heads_trained"));
            }
          });
      sim.run(new Simulation.Listener() {});
    }
    assertEquals(List.of(), problems);
    assertEquals(6, uplinks[0], "two clients in each of three rounds");
    assertTrue(headSets.size() > 1, "clients trained different heads: " + headSets);
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(3, metrics.size());
    for (String line : metrics) {
      JsonObject m = JsonParser.parseString(line).getAsJsonObject();
      JsonObject perClient = m.getAsJsonObject("client_adapter");
      assertEquals(2, perClient.size(), line);
      for (var e : perClient.entrySet()) {
        assertEquals(2.0, e.getValue().getAsJsonObject().get("heads_trained").getAsDouble());
        assertFalse(e.getValue().getAsJsonObject().get("heads_mask").isJsonNull());
      }
    }
  }
}
