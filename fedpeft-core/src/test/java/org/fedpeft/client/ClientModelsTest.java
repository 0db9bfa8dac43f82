package org.fedpeft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Role;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.FrozenBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * QA, 5 December: a node with {@code model.precision = "auto"} on a CPU without bfloat16 arithmetic
 * refused every round of a bf16 server, although "auto" asks for whatever fits. Its models now
 * follow the server's precision: the first instruction naming another precision loads the model in
 * that one, and the client's update is then bit for bit that of a client started in it. An explicit
 * setting, or another model, still refuses.
 */
class ClientModelsTest {

  static PretrainedModel tiny;
  static FrozenBase bf16Base;
  static ClientModels bf16Models;
  static ClientData data;
  static final ModelSpec LORA = new ModelSpec("lora", Map.of("rank", "2"), 7, 3, 8);

  /** What auto picks on a CPU without bfloat16 arithmetic. */
  static final Precision.Choice AUTO_FP32 = Precision.auto("flags\t: fpu sse avx2 avx512f\n");

  @BeforeAll
  static void setUp() throws Exception {
    tiny = TinyModels.tiny(3);
    bf16Base = new FrozenBase(tiny.withPrecision(Precision.choose("bf16", null)));
    bf16Models = new ClientModels(bf16Base);
    data = PeftClientTest.twelveExamples(bf16Base);
  }

  @AfterAll
  static void tearDown() {
    bf16Base.close();
  }

  /** A node's models on the tiny model in {@code choice}, counting the loads and their notes. */
  static ClientModels node(Precision.Choice choice, AtomicInteger loads, List<String> notes)
      throws Exception {
    return ClientModels.ofNode(
        new FrozenBase(tiny.withPrecision(choice)),
        p -> {
          loads.incrementAndGet();
          return new FrozenBase(tiny.withPrecision(p));
        },
        notes::add);
  }

  /** The bf16 server's instruction of round 1. */
  static FitInstructions serversRound() {
    Map<String, HostTensor> global = new TreeMap<>();
    try (ModelFactory.Instance m = bf16Models.factory(LORA).instantiate(Map.of())) {
      m.model()
          .tensors()
          .forEach(
              t -> {
                if (t.role() == Role.GLOBAL) {
                  global.put(t.name(), org.fedpeft.peft.Adapter.Tensors.toHost(t.array()));
                }
              });
    }
    RunSettings run =
        RunSettingsFixtures.withBaseModel(
            RunSettingsFixtures.classification(LORA, 2, 1e-2, 4, 0, 1.0, 0, null, ""),
            BaseModel.of(bf16Base));
    return new FitInstructions("c", 1, global, run.toConfig());
  }

  static ClientUpdate fit(ClientModels models, FitInstructions in) {
    return new PeftClient(data, models, ClientStateStore.inMemory(), (r, p) -> null, 1).fit(in);
  }

  @Test
  void anAutoNodeFollowsTheServersPrecisionAndTrainsAsANodeStartedInIt() throws Exception {
    assertEquals(Precision.FP32, AUTO_FP32.precision());
    AtomicInteger loads = new AtomicInteger();
    List<String> notes = new ArrayList<>();
    try (ClientModels auto = node(AUTO_FP32, loads, notes)) {
      FrozenBase first = auto.base();
      assertEquals(tiny.sha256() + " fp32", auto.baseIdentity());
      FitInstructions round = serversRound();
      ClientUpdate followed = fit(auto, round);
      ClientUpdate started = fit(bf16Models, round);
      assertEquals(started.tensors(), followed.tensors(), "the update, bit for bit");
      assertEquals(started.metrics(), followed.metrics());
      assertEquals(BaseModel.of(bf16Base), auto.baseIdentity());
      assertEquals(
          "bf16 (auto: following the server's run)", auto.base().model().precision().describe());
      assertFalse(first.root().isOpen(), "the fp32 model is released");
      assertEquals(
          List.of(
              "model.precision auto: following the server's run, bf16 (this CPU reports neither"
                  + " avx512_bf16 nor amx_bf16, so bf16 products are slower here than fp32 ones)"),
          notes);
      fit(auto, round);
      assertEquals(1, loads.get(), "loaded again once");
      assertEquals(1, notes.size());
    }
  }

  @Test
  void aNodeWithAnExplicitPrecisionOrAnotherModelStillRefuses() throws Exception {
    AtomicInteger loads = new AtomicInteger();
    List<String> notes = new ArrayList<>();
    FitInstructions round = serversRound();
    try (ClientModels fp32 = node(Precision.Choice.FP32, loads, notes)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> fit(fp32, round));
      assertEquals(
          "client c refuses the round: it holds its frozen model in fp32 (model.precision fp32),"
              + " the server's run in bf16; set model.precision to bf16 on this node, or to auto,"
              + " with which a node follows the server's precision",
          e.getMessage());
    }
    String digest = tiny.sha256();
    String other = "0123456789abcdef" + digest.substring(16) + " bf16";
    FitInstructions otherModel =
        new FitInstructions(
            "c",
            1,
            round.tensors(),
            RunSettingsFixtures.withBaseModel(RunSettings.fromConfig(round.config()), other)
                .toConfig());
    try (ClientModels auto = node(AUTO_FP32, loads, notes)) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> fit(auto, otherModel));
      assertTrue(
          e.getMessage().contains("is not the server's (digest 0123456789ab)"), e.getMessage());
      assertEquals(tiny.sha256() + " fp32", auto.baseIdentity());
    }
    assertEquals(0, loads.get(), "nothing loaded again");
    assertEquals(List.of(), notes);
  }

  /**
   * QA, 5 December: the check a node makes when the server welcomes it, before any round. Models
   * that would refuse each round (an explicit precision that is not the server's, another model)
   * refuse the run there, with the setting to change; models that follow the server ({@code auto},
   * same digest) and models that already agree pass, and nothing is loaded yet.
   */
  @Test
  void aNodeWhoseModelCannotServeTheRunRefusesItAtTheWelcome() throws Exception {
    AtomicInteger loads = new AtomicInteger();
    List<String> notes = new ArrayList<>();
    String server = BaseModel.of(bf16Base);
    try (ClientModels fp32 = node(Precision.Choice.FP32, loads, notes)) {
      BaseModel.ModelMismatch e =
          assertThrows(BaseModel.ModelMismatch.class, () -> fp32.requireServes(server, "c"));
      assertEquals(
          "client c cannot serve the server's run: it holds its frozen model in fp32"
              + " (model.precision fp32), the server's run in bf16; set model.precision to bf16 on"
              + " this node, or to auto, with which a node follows the server's precision",
          e.getMessage());
      fp32.requireServes("", "c");
      fp32.requireServes(null, "c");
      fp32.requireServes(fp32.baseIdentity(), "c");
    }
    String other = "0123456789abcdef" + tiny.sha256().substring(16) + " bf16";
    try (ClientModels auto = node(AUTO_FP32, loads, notes)) {
      auto.requireServes(server, "c");
      assertEquals(tiny.sha256() + " fp32", auto.baseIdentity(), "nothing loaded at the welcome");
      BaseModel.ModelMismatch e =
          assertThrows(BaseModel.ModelMismatch.class, () -> auto.requireServes(other, "c"));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "client c cannot serve the server's run: its frozen model "
                      + tiny.name()
                      + " (weights and tokenizer digest "),
          e.getMessage());
      assertTrue(
          e.getMessage()
              .endsWith(
                  "is not the server's (digest 0123456789ab); give it the model the server uses"
                      + " (model.name, --model)"),
          e.getMessage());
    }
    // The simulation's models (the server's own) never follow, and agree with their server.
    bf16Models.requireServes(server, "c");
    assertEquals(0, loads.get());
    assertEquals(List.of(), notes);
  }

  /**
   * Clients of one node whose first rounds arrive together: the model is loaded again once, and
   * every client trains on it.
   */
  @Test
  void clientsOfANodeFollowingTogetherLoadTheModelOnce() throws Exception {
    AtomicInteger loads = new AtomicInteger();
    List<String> notes = new CopyOnWriteArrayList<>();
    int clients = 4;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try (ClientModels auto = node(AUTO_FP32, loads, notes)) {
      String expected = BaseModel.of(bf16Base);
      CountDownLatch ready = new CountDownLatch(clients);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> held = new ArrayList<>();
      for (int k = 0; k < clients; k++) {
        String id = "c" + k;
        held.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  try (ClientModels.Hold h = auto.hold(expected, id)) {
                    return BaseModel.of(h.base());
                  }
                }));
      }
      ready.await();
      go.countDown();
      for (Future<String> f : held) {
        assertEquals(expected, f.get(1, TimeUnit.MINUTES));
      }
      assertEquals(1, loads.get());
      assertEquals(1, notes.size(), notes.toString());
      assertNotEquals(Precision.FP32, auto.base().model().precision().precision());
    } finally {
      pool.shutdownNow();
    }
  }
}
