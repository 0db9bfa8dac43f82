package org.fedpeft.peft.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.Autograd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LoRA with a rank per round ({@link LoraAdapter#RANK_KEY}), as the rank-heterogeneous strategies
 * use it: the forward pass is that of the truncated adapter, components beyond the rank get exactly
 * zero gradients (also per example), the uplink carries exactly the first k components, and
 * self-pruning drops a tail that shrank.
 */
class LoraRoundRankTest {

  static Engine engine;
  static NDManager root;
  static BertEncoder encoder;
  static TextTokenizer tokenizer;
  static TokenBatch batch;

  static final Map<String, String> OPTIONS =
      Map.of("rank", "4", "alpha", "8", "dropout", "0", "targets", "query+value");

  @BeforeAll
  static void setUp() throws Exception {
    engine = Engines.pytorch();
    root = engine.newBaseManager();
    PretrainedModel pm = TinyModels.tiny(13);
    encoder = new BertEncoder(pm.weights(), root);
    tokenizer = pm.newTokenizer();
    batch = tokenizer.encodeBatch(List.of("a small animal", "a tool for cutting wood"));
  }

  @AfterAll
  static void tearDown() {
    tokenizer.close();
    encoder.close();
    root.close();
  }

  static LoraAdapter lora() {
    return (LoraAdapter) AdapterRegistry.get("lora").create(OPTIONS, encoder, 5);
  }

  /** Random A and B (B non-zero, so that A has gradients). */
  static void randomize(Adapter a, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (AdapterTensor t : a.tensors()) {
      float[] v = new float[(int) t.array().size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (rng.nextDouble() - 0.5);
      }
      Adapter.Tensors.assign(t.array(), v);
    }
  }

  static RoundSpec spec(Map<String, String> config) {
    return new RoundSpec(1, 9, config);
  }

  static Set<String> names(Adapter a) {
    Set<String> n = new LinkedHashSet<>();
    a.tensors().forEach(t -> n.add(t.name()));
    return n;
  }

  static float[] hidden(EncoderHooks hooks) {
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      Shape s = new Shape(batch.batchSize(), batch.seqLen());
      return encoder
          .forward(m.create(batch.ids(), s), m.create(batch.mask(), s), hooks, false)
          .toFloatArray();
    }
  }

  /** The gradient of sum(h^2) with respect to every adapter tensor, by name. */
  static Map<String, float[]> gradients(Adapter a) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      Shape s = new Shape(batch.batchSize(), batch.seqLen());
      try (Autograd.Recording rec = Autograd.record()) {
        NDArray h =
            encoder.forward(
                m.create(batch.ids(), s), m.create(batch.mask(), s), a, HookContext.training());
        rec.backward(h.mul(h).sum());
      }
      for (AdapterTensor t : a.tensors()) {
        NDArray g = t.array().getGradient();
        out.put(t.name(), g.toFloatArray());
        g.subi(g);
      }
    }
    return out;
  }

  /** A copy of {@code a}'s values with components k.. of every module set to zero. */
  static Map<String, HostTensor> zeroBeyond(Adapter a, int k) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (var e : a.state().entrySet()) {
      long[] shape = e.getValue().shape();
      float[] v = e.getValue().data().clone();
      int rows = (int) shape[0];
      int cols = (int) shape[1];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          boolean beyond = e.getKey().endsWith(".lora_A") ? i >= k : j >= k;
          if (beyond) {
            v[i * cols + j] = 0;
          }
        }
      }
      out.put(e.getKey(), new HostTensor(shape, v));
    }
    return out;
  }

  static double maxDiff(float[] x, float[] y) {
    double d = 0;
    for (int i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs(x[i] - y[i]));
    }
    return d;
  }

  @Test
  void aRoundRankComputesTheTruncatedAdapterAtTheFullRanksScaling() {
    try (LoraAdapter a = lora();
        LoraAdapter ref = lora()) {
      randomize(a, 1);
      ref.loadState(zeroBeyond(a, 2));
      float[] full = hidden(a);
      a.beginRound(spec(Map.of(LoraAdapter.RANK_KEY, "2")));
      assertEquals(2.0, a.roundMetrics().get("lora_rank"), "the rank it computes with");
      float[] truncated = hidden(a);
      assertTrue(maxDiff(truncated, hidden(ref)) < 1e-5, "equals the zero-padded rank-4 adapter");
      assertTrue(maxDiff(truncated, full) > 1e-3, "differs from the full adapter");
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        assertTrue(
            maxDiff(a.deltaWeight(0, 0).toFloatArray(), ref.deltaWeight(0, 0).toFloatArray())
                < 1e-6);
      }
      a.beginRound(spec(Map.of()));
      assertEquals(Map.of(), a.roundMetrics(), "no round rank: the configured rank 4");
      assertArrayEquals(full, hidden(a), "a round without the key is the full adapter");
    }
  }

  @Test
  void componentsBeyondTheRankGetExactlyZeroGradients() {
    try (LoraAdapter a = lora()) {
      randomize(a, 2);
      a.beginRound(spec(Map.of(LoraAdapter.RANK_KEY, "3")));
      Map<String, float[]> g = gradients(a);
      int checked = 0;
      for (AdapterTensor t : a.tensors()) {
        long[] shape = t.array().getShape().getShape();
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        boolean isA = t.name().endsWith(".lora_A");
        float[] grad = g.get(t.name());
        double inside = 0;
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) {
            float v = grad[i * cols + j];
            if (isA ? i >= 3 : j >= 3) {
              assertEquals(0f, v, t.name() + " (" + i + ", " + j + ")");
            } else {
              inside += Math.abs(v);
            }
          }
        }
        assertTrue(inside > 0, t.name() + " trains its first 3 components");
        checked++;
      }
      assertEquals(8, checked, "A and B of query and value in two layers");
    }
  }

  @Test
  void perExampleGradientsStopAtTheRankToo() {
    try (LoraAdapter a = lora()) {
      randomize(a, 3);
      a.beginRound(spec(Map.of(LoraAdapter.RANK_KEY, "1")));
      Map<String, float[]> pe = new LinkedHashMap<>();
      try (NDScope scope = new NDScope();
          NDManager m = root.newSubManager()) {
        scope.suppressNotUsedWarning();
        Shape s = new Shape(batch.batchSize(), batch.seqLen());
        a.beginPerExample(batch.batchSize());
        try (Autograd.Recording rec = Autograd.record()) {
          NDArray h =
              encoder.forward(
                  m.create(batch.ids(), s), m.create(batch.mask(), s), a, HookContext.training());
          rec.backward(h.mul(h).sum());
        }
        a.perExampleGradients().forEach((k, v) -> pe.put(k, v.toFloatArray()));
        a.endPerExample();
      }
      for (AdapterTensor t : a.tensors()) {
        long[] shape = t.array().getShape().getShape();
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        boolean isA = t.name().endsWith(".lora_A");
        float[] g = pe.get(t.name()); // (batch, rows, cols)
        double inside = 0;
        for (int e = 0; e < batch.batchSize(); e++) {
          for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
              float v = g[(e * rows + i) * cols + j];
              if (isA ? i >= 1 : j >= 1) {
                assertEquals(0f, v, t.name());
              } else {
                inside += Math.abs(v);
              }
            }
          }
        }
        assertTrue(inside > 0, t.name());
      }
    }
  }

  @Test
  void theUplinkCarriesExactlyTheFirstKComponents() {
    try (LoraAdapter a = lora()) {
      randomize(a, 4);
      Map<String, HostTensor> state = a.state();
      a.beginRound(spec(Map.of()));
      Map<String, HostTensor> plain = a.uplink(names(a));
      assertEquals(state.keySet(), plain.keySet());
      plain.forEach((k, v) -> assertArrayEquals(state.get(k).data(), v.data(), k));
      assertEquals(Map.of(), a.roundMetrics(), "no rank reported without a round rank");

      a.beginRound(spec(Map.of(LoraAdapter.RANK_KEY, "3")));
      Map<String, HostTensor> up = a.uplink(names(a));
      assertEquals(state.keySet(), up.keySet());
      for (var e : up.entrySet()) {
        HostTensor full = state.get(e.getKey());
        int rows = (int) full.shape()[0];
        int cols = (int) full.shape()[1];
        if (e.getKey().endsWith(".lora_A")) {
          assertArrayEquals(new long[] {3, cols}, e.getValue().shape());
          assertArrayEquals(
              java.util.Arrays.copyOf(full.data(), 3 * cols), e.getValue().data(), e.getKey());
        } else {
          assertArrayEquals(new long[] {rows, 3}, e.getValue().shape());
          for (int o = 0; o < rows; o++) {
            for (int j = 0; j < 3; j++) {
              assertEquals(full.data()[o * cols + j], e.getValue().data()[o * 3 + j]);
            }
          }
        }
      }
      assertEquals(Map.of("lora_rank", 3.0), a.roundMetrics());
      Set<String> onlyQuery = new LinkedHashSet<>();
      for (String n : names(a)) {
        if (n.contains("query")) {
          onlyQuery.add(n);
        }
      }
      assertEquals(onlyQuery, a.uplink(onlyQuery).keySet(), "only trained tensors");
    }
  }

  @Test
  void badRoundRanksAndDecaysAreRefused() {
    try (LoraAdapter a = lora()) {
      for (String bad : List.of("0", "5", "two")) {
        assertThrows(
            IllegalArgumentException.class,
            () -> a.beginRound(spec(Map.of(LoraAdapter.RANK_KEY, bad))),
            bad);
      }
      assertThrows(
          IllegalArgumentException.class,
          () ->
              a.beginRound(spec(Map.of(LoraAdapter.RANK_KEY, "4", LoraAdapter.PRUNE_KEY, "1.0"))));
    }
  }

  @Test
  void prunedRanks() {
    assertEquals(2, LoraAdapter.prunedRank(4, 0.5));
    assertEquals(3, LoraAdapter.prunedRank(4, 0.75));
    assertEquals(7, LoraAdapter.prunedRank(8, 0.99), "at least one component goes");
    assertEquals(1, LoraAdapter.prunedRank(2, 0.9));
    assertEquals(1, LoraAdapter.prunedRank(1, 0.5), "rank 1 stays");
    assertEquals(4, LoraAdapter.prunedRank(4, 0), "no decay, no pruning");
  }

  /** Scales B's columns 2 and 3 (the tail that rank 4 with gamma 0.5 would prune) by f. */
  static void scaleTail(LoraAdapter a, float f) {
    for (AdapterTensor t : a.tensors()) {
      if (!t.name().endsWith(".lora_B")) {
        continue;
      }
      float[] v = t.array().toFloatArray();
      for (int o = 0; o < v.length / 4; o++) {
        v[o * 4 + 2] *= f;
        v[o * 4 + 3] *= f;
      }
      Adapter.Tensors.assign(t.array(), v);
    }
  }

  @Test
  void selfPruningDropsATailThatShrankDuringTheRound() {
    Map<String, String> pruning = Map.of(LoraAdapter.RANK_KEY, "4", LoraAdapter.PRUNE_KEY, "0.5");
    try (LoraAdapter a = lora()) {
      randomize(a, 5);
      a.beginRound(spec(pruning));
      scaleTail(a, 0.5f); // "training" shrank the tail
      Map<String, HostTensor> up = a.uplink(names(a));
      for (var e : up.entrySet()) {
        long k = e.getKey().endsWith(".lora_A") ? e.getValue().shape()[0] : e.getValue().shape()[1];
        assertEquals(2, k, e.getKey());
      }
      assertEquals(Map.of("lora_rank", 2.0), a.roundMetrics());

      a.beginRound(spec(pruning));
      scaleTail(a, 1.5f); // grew
      for (var e : a.uplink(names(a)).entrySet()) {
        long k = e.getKey().endsWith(".lora_A") ? e.getValue().shape()[0] : e.getValue().shape()[1];
        assertEquals(4, k, e.getKey());
      }
      assertEquals(Map.of("lora_rank", 4.0), a.roundMetrics());
    }
  }
}
