package org.fedpeft.peft.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.simulation.TinyRuns;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HetLoRA (with self-pruning) and FlexLoRA in tiny simulations with budgets 1/4, 1/2, 3/4, 1 and
 * LoRA rank 4, so the four clients have ranks 1, 2, 3 and 4. On the transport: each client is told
 * its rank, receives the global factors cut to that rank, and sends A (k x in) and B (out x k) of
 * exactly the rank k it trained (its rank, or under self-pruning possibly the pruned one) and the
 * head, nothing else; metrics.jsonl records the ranks. The same seed gives the same bytes on every
 * message.
 */
class HeterogeneousLoraSimulationTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  static final int[] RANKS = {1, 2, 3, 4}; // budgets 0.25, 0.5, 0.75, 1 of rank 4

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 120);
  }

  static SimulationConfig config(String strategy, Map<String, String> extra) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "3");
    o.put("clients", "4");
    o.put("clients_per_round", "3");
    o.put("data.file", data.toString());
    o.put("data.max_eval", "40");
    o.put("model.name", model.toString());
    o.put("adapter.method", "lora");
    o.put("adapter.rank", "4");
    o.put("adapter.alpha", "8");
    o.put("adapter.targets", "query+value");
    o.put("server.strategy", strategy);
    o.put("client.budgets", "0.25,0.5,0.75,1");
    o.put("client.local_steps", "3");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "1e-2");
    o.put("client.parallel", "1");
    o.put("client.threads", "1");
    o.put("eval.every", "3");
    o.putAll(extra);
    return SimulationConfig.of(Map.of(), o, "test");
  }

  @Test
  void hetLoraClientsSendExactlyTheirRanks() throws Exception {
    Map<String, String> prune = Map.of("server.hetlora.prune", "true");
    Map<String, String> first = run(config("hetlora", prune), tmp.resolve("het1"), 0.75);
    Map<String, String> second = run(config("hetlora", prune), tmp.resolve("het2"), 0.75);
    assertEquals(first, second, "same seed, same bytes");
  }

  @Test
  void flexLoraClientsSendExactlyTheirRanks() throws Exception {
    Map<String, String> first = run(config("flexlora", Map.of()), tmp.resolve("flex1"), 0);
    Map<String, String> second = run(config("flexlora", Map.of()), tmp.resolve("flex2"), 0);
    assertEquals(first, second, "same seed, same bytes");
  }

  /**
   * Runs, checks every fit message, and returns the SHA-256 of every message by (round, client,
   * phase, direction).
   */
  static Map<String, String> run(SimulationConfig config, Path out, double pruneGamma)
      throws Exception {
    List<String> problems = new ArrayList<>();
    Map<String, String> hashes = new TreeMap<>();
    Map<String, Integer> told = new TreeMap<>(); // rank by round/client, from the downlink
    int[] uplinks = {0};
    try (Simulation sim = Simulation.create(config, out)) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            String key = round + "/" + client + "/" + phase + "/" + direction;
            synchronized (hashes) {
              hashes.put(key, sha256(bytes));
            }
            if (phase != CommunicationLog.Phase.FIT) {
              return;
            }
            int index = Integer.parseInt(client.substring(client.lastIndexOf('-') + 1));
            int rank = RANKS[index];
            if (direction == CommunicationLog.Direction.DOWN) {
              FitInstructions in = FitInstructions.fromBytes(bytes, "downlink");
              int assigned = Integer.parseInt(in.config().get(LoraAdapter.RANK_KEY));
              if (assigned > rank || (pruneGamma == 0 && assigned != rank)) {
                problems.add(client + " was told rank " + assigned + ", its budget gives " + rank);
              }
              synchronized (told) {
                told.put(round + "/" + client, assigned);
              }
              for (var e : in.tensors().entrySet()) {
                if (e.getKey().contains("lora_")) {
                  long r =
                      e.getKey().endsWith("lora_A")
                          ? e.getValue().shape()[0]
                          : e.getValue().shape()[1];
                  if (r != assigned) {
                    problems.add(
                        "downlink of "
                            + client
                            + " has "
                            + e.getKey()
                            + " of rank "
                            + r
                            + ", its rank is "
                            + assigned);
                  }
                }
              }
              return;
            }
            synchronized (uplinks) {
              uplinks[0]++;
            }
            ClientUpdate u = ClientUpdate.fromBytes(bytes, "update");
            int assigned;
            synchronized (told) {
              assigned = told.get(round + "/" + client);
            }
            int sent = u.metrics().get("adapter.lora_rank").intValue();
            if (sent != assigned && sent != LoraAdapter.prunedRank(assigned, pruneGamma)) {
              problems.add(client + " sent rank " + sent + " of assigned " + assigned);
            }
            Set<String> expected = new TreeSet<>(Set.of("classifier.bias", "classifier.weight"));
            long loraFloats = 0;
            for (int layer = 0; layer < 2; layer++) {
              for (String m : List.of("query", "value")) {
                String module = "encoder.layer." + layer + ".attention.self." + m;
                expected.add(module + ".lora_A");
                expected.add(module + ".lora_B");
              }
            }
            if (!expected.equals(u.tensors().keySet())) {
              problems.add(client + " sent " + u.tensors().keySet());
            }
            for (var e : u.tensors().entrySet()) {
              HostTensor t = e.getValue();
              if (e.getKey().endsWith(".lora_A")) {
                if (t.shape()[0] != sent) {
                  problems.add(
                      client + ": " + e.getKey() + " " + java.util.Arrays.toString(t.shape()));
                }
                loraFloats += t.size();
              } else if (e.getKey().endsWith(".lora_B")) {
                if (t.shape()[1] != sent) {
                  problems.add(
                      client + ": " + e.getKey() + " " + java.util.Arrays.toString(t.shape()));
                }
                loraFloats += t.size();
              }
            }
            long hidden = 32; // TinyModels.tiny: query and value are 32 x 32
            if (loraFloats != 4L * sent * (hidden + hidden)) {
              problems.add(client + " sent " + loraFloats + " LoRA values at rank " + sent);
            }
          });
      sim.run(new Simulation.Listener() {});
    }
    hashes.forEach(
        (k, v) -> {
          if (!k.contains("DOWN"))
            System.out.println("HASH " + out.getFileName() + " " + k + " " + v);
        });
    assertEquals(List.of(), problems);
    assertEquals(9, uplinks[0], "three clients in each of three rounds");
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(3, lines.size());
    String name = config.strategy();
    for (String line : lines) {
      JsonObject m = JsonParser.parseString(line).getAsJsonObject();
      JsonObject perClient = m.getAsJsonObject("client_adapter");
      JsonObject strategy = m.getAsJsonObject("strategy");
      assertEquals(3, perClient.size(), line);
      for (var e : perClient.entrySet()) {
        double reported = e.getValue().getAsJsonObject().get("lora_rank").getAsDouble();
        assertEquals(reported, strategy.get(name + ".rank." + e.getKey()).getAsDouble(), line);
      }
      if (name.equals("flexlora")) {
        double kept = strategy.get("flexlora.energy_kept").getAsDouble();
        assertTrue(kept > 0 && kept <= 1 + 1e-9, line);
      }
    }
    return hashes;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
