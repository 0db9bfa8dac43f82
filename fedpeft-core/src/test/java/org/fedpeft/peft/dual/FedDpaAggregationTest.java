package org.fedpeft.peft.dual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.engine.Engines;
import org.fedpeft.federation.Aggregation;
import org.fedpeft.federation.ClientFailure;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.FedIt;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.federation.Weighting;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.RandomBert;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FedDPA's server side by hand: two clients whose global and local LoRA factors are set to
 * constants send only their global factors (and the head), and FedIT's new global factors are their
 * mean, uniform and by examples; a LOCAL tensor is never in an uplink, and an update carrying one
 * is rejected, naming it, without touching the global state.
 */
class FedDpaAggregationTest {

  static NDManager root;
  static BertEncoder encoder;
  static final BertConfig CFG = new BertConfig(50, 16, 2, 2, 24, 16, 2, 1e-12f);
  static final String HEAD = "classifier.bias";

  @BeforeAll
  static void setUp() {
    root = Engines.pytorch().newBaseManager();
    encoder = new BertEncoder(RandomBert.weights(CFG, 77), root);
  }

  @AfterAll
  static void tearDown() {
    encoder.close();
    root.close();
  }

  static FedDpaAdapter create() {
    Map<String, String> o = new HashMap<>(Map.of("rank", "2", "alpha", "4", "dropout", "0"));
    o.put("targets", "query");
    return (FedDpaAdapter) AdapterRegistry.get("feddpa").create(o, encoder, 5);
  }

  /** Sets every trainable tensor to {@code global} (GLOBAL) or {@code local} (LOCAL). */
  static void fill(FedDpaAdapter a, float global, float local) {
    for (AdapterTensor t : a.tensors()) {
      if (!t.trainable()) {
        continue;
      }
      float[] v = new float[(int) t.array().size()];
      java.util.Arrays.fill(v, t.role() == Role.GLOBAL ? global : local);
      Adapter.Tensors.assign(t.array(), v);
    }
  }

  static Set<String> trainable(FedDpaAdapter a) {
    Set<String> names = new java.util.LinkedHashSet<>();
    for (AdapterTensor t : a.tensors()) {
      if (t.trainable()) {
        names.add(t.name());
      }
    }
    return names;
  }

  /** The client's update: its uplink of every trained tensor (global and local) plus a head. */
  static ClientUpdate update(String id, FedDpaAdapter a, long examples, float head) {
    Map<String, HostTensor> up = new LinkedHashMap<>(a.uplink(trainable(a)));
    for (String name : up.keySet()) {
      assertTrue(name.startsWith("global/"), name + " left the client; only global/ may");
    }
    up.put(HEAD, new HostTensor(new long[] {1}, new float[] {head}));
    return new ClientUpdate(id, up, examples);
  }

  static Aggregation aggregate(Map<String, HostTensor> initial, Weighting w, ClientUpdate... us) {
    FedIt fedIt = new FedIt(StrategyOptions.defaults().withWeighting(w));
    ServerState s0 = fedIt.initialize(initial);
    return fedIt.aggregate(s0, 1, List.of(us), List.of());
  }

  static void assertAll(Map<String, HostTensor> global, String prefix, float expected) {
    int seen = 0;
    for (Map.Entry<String, HostTensor> e : global.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        for (float v : e.getValue().data()) {
          assertEquals(expected, v, 1e-6, e.getKey());
        }
        seen++;
      }
    }
    assertTrue(seen > 0, "no tensor " + prefix + "*");
  }

  /**
   * Client a (1 example) holds global factors 1 and local 100, client b (3 examples) global 5 and
   * local -100: uniform gives 3, by examples (1 * 1 + 3 * 5) / 4 = 4; the head likewise (2 and 6: 4
   * and 5). No local factor reaches the server state, and the uplinks are the same whatever the
   * local adapters hold.
   */
  @Test
  void theServerAveragesTheGlobalAdapterAloneByHand() {
    try (FedDpaAdapter server = create();
        FedDpaAdapter a = create();
        FedDpaAdapter b = create()) {
      Map<String, HostTensor> initial = new LinkedHashMap<>();
      for (AdapterTensor t : server.tensors()) {
        if (t.role() == Role.GLOBAL) {
          initial.put(t.name(), Adapter.Tensors.toHost(t.array()));
        }
      }
      assertTrue(initial.keySet().stream().allMatch(n -> n.startsWith("global/")));
      assertEquals(4, initial.size(), "A and B of query in both layers");
      initial.put(HEAD, new HostTensor(new long[] {1}, new float[] {0}));
      fill(a, 1, 100);
      fill(b, 5, -100);
      ClientUpdate ua = update("a", a, 1, 2);
      ClientUpdate ub = update("b", b, 3, 6);
      assertEquals(5, ua.tensors().size(), "four global factors and the head");
      fill(a, 1, 7);
      assertEquals(
          ua.tensors().keySet(),
          update("a", a, 1, 2).tensors().keySet(),
          "the local adapter does not change what is sent");

      Aggregation uniform = aggregate(initial, Weighting.UNIFORM, ua, ub);
      assertEquals(List.of("a", "b"), uniform.accepted(), uniform.failures().toString());
      assertAll(uniform.state().global(), "global/", 3f);
      assertAll(uniform.state().global(), HEAD, 4f);
      assertEquals(initial.keySet(), uniform.state().global().keySet(), "nothing local added");

      Aggregation examples = aggregate(initial, Weighting.EXAMPLES, ua, ub);
      assertAll(examples.state().global(), "global/", 4f);
      assertAll(examples.state().global(), HEAD, 5f);
    }
  }

  /** A client that sends a local factor is rejected with its name; the other alone is averaged. */
  @Test
  void anUpdateCarryingALocalFactorIsRejectedNamingIt() {
    try (FedDpaAdapter server = create();
        FedDpaAdapter a = create();
        FedDpaAdapter b = create()) {
      Map<String, HostTensor> initial = new LinkedHashMap<>();
      String local = null;
      for (AdapterTensor t : server.tensors()) {
        if (t.role() == Role.GLOBAL) {
          initial.put(t.name(), Adapter.Tensors.toHost(t.array()));
        } else if (t.trainable() && local == null) {
          local = t.name();
        }
      }
      assertNotNull(local);
      fill(a, 1, 100);
      fill(b, 5, -100);
      Map<String, HostTensor> leaky = new LinkedHashMap<>(a.uplink(trainable(a)));
      for (AdapterTensor t : a.tensors()) {
        if (t.name().equals(local)) {
          leaky.put(local, Adapter.Tensors.toHost(t.array()));
        }
      }
      Aggregation agg =
          aggregate(
              initial,
              Weighting.UNIFORM,
              new ClientUpdate("a", leaky, 1),
              new ClientUpdate("b", b.uplink(trainable(b)), 3));
      assertEquals(List.of("b"), agg.accepted());
      ClientFailure f = agg.failures().get(0);
      assertEquals("a", f.clientId());
      assertEquals(ClientFailure.Kind.REJECTED, f.kind());
      assertTrue(f.reason().contains(local), f.reason());
      assertAll(agg.state().global(), "global/", 5f);
      assertSame(null, agg.state().global().get(local));
    }
  }
}
