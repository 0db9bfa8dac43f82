package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.train.Autograd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The encoder's insertion points, on a tiny random BERT: where each one sits (token embeddings
 * before the embedding LayerNorm, after-embeddings behind it, after-block between blocks, a block
 * replacement asked only above the first adapted layer), and that blocks below an adapter's first
 * adapted layer, which run on the scripted fast path, give the same outputs and gradients as the
 * operator-by-operator path.
 */
class InsertionPointsTest {

  static Engine engine;
  static NDManager root;
  static BertEncoder encoder;
  static TextTokenizer tokenizer;
  static TokenBatch batch;

  @BeforeAll
  static void setUp() throws Exception {
    engine = Engines.pytorch();
    root = engine.newBaseManager();
    PretrainedModel pm = TinyModels.tiny(17);
    encoder = new BertEncoder(pm.weights(), root);
    tokenizer = pm.newTokenizer();
    batch = tokenizer.encodeBatch(List.of("a small animal", "a tool for cutting wood, often"));
  }

  @AfterAll
  static void tearDown() {
    tokenizer.close();
    encoder.close();
    root.close();
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

  /** Adds {@code c} to every element at the chosen point(s). */
  static EncoderHooks adding(float c, boolean tokens, boolean afterEmbeddings, int afterBlock) {
    return new EncoderHooks() {
      @Override
      public NDArray tokenEmbeddings(NDArray t, HookContext ctx) {
        return tokens ? t.add(c) : t;
      }

      @Override
      public NDArray afterEmbeddings(NDArray h, HookContext ctx) {
        return afterEmbeddings ? h.add(c) : h;
      }

      @Override
      public NDArray afterBlock(int layer, NDArray h, HookContext ctx) {
        return layer == afterBlock ? h.add(c) : h;
      }
    };
  }

  static double maxDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void identityHooksAtEveryPointGiveTheBaseModel() {
    float[] base = hidden(EncoderHooks.NONE);
    assertTrue(maxDiff(base, hidden(adding(0f, true, true, 0))) <= 1e-5);
  }

  @Test
  void tokenEmbeddingsSitBeforeTheEmbeddingLayerNormAndAfterEmbeddingsBehindIt() {
    float[] base = hidden(EncoderHooks.NONE);
    // The LayerNorm removes a constant added to every feature of a token: only a change made
    // before it vanishes.
    assertTrue(maxDiff(base, hidden(adding(0.5f, true, false, -1))) <= 1e-4, "before the LN");
    assertTrue(maxDiff(base, hidden(adding(0.5f, false, true, -1))) > 1e-2, "after the LN");
  }

  @Test
  void afterBlockSeesEveryBlockInOrderAndItsLastCallIsTheOutput() {
    List<Integer> layers = new ArrayList<>();
    float[] base = hidden(EncoderHooks.NONE);
    float[] shifted =
        hidden(
            new EncoderHooks() {
              @Override
              public NDArray afterBlock(int layer, NDArray h, HookContext ctx) {
                layers.add(layer);
                return layer == encoder.config().numLayers() - 1 ? h.add(1f) : h;
              }
            });
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < encoder.config().numLayers(); i++) {
      expected.add(i);
    }
    assertEquals(expected, layers);
    for (int i = 0; i < base.length; i++) {
      assertEquals(base[i] + 1f, shifted[i], 1e-6);
    }
    assertTrue(maxDiff(base, hidden(adding(0.5f, false, false, 0))) > 1e-2, "between blocks");
  }

  @Test
  void replaceBlockIsAskedForAdaptedBlocksOnlyAndItsOutputReplacesTheBlock() {
    int top = encoder.config().numLayers() - 1;
    List<Integer> asked = new ArrayList<>();
    float[][] belowTop = new float[1][];
    float[] out =
        hidden(
            new EncoderHooks() {
              @Override
              public NDArray replaceBlock(int layer, NDArray h, HookContext ctx) {
                asked.add(layer);
                return h.add(0f); // the top block skipped: its input passes through
              }

              @Override
              public NDArray afterBlock(int layer, NDArray h, HookContext ctx) {
                if (layer == top - 1) {
                  belowTop[0] = h.toFloatArray();
                }
                return h;
              }

              @Override
              public int firstAdaptedLayer() {
                return top;
              }
            });
    assertEquals(List.of(top), asked, "blocks below the first adapted layer are never asked");
    assertEquals(0, maxDiff(belowTop[0], out), "the replacement's output is the encoder's");
    assertTrue(maxDiff(hidden(EncoderHooks.NONE), out) > 1e-2, "the top block did not run");
  }

  /** The same hooks, claiming every block, so no block runs on the scripted path. */
  static EncoderHooks everyBlockEager(EncoderHooks h) {
    return new EncoderHooks() {
      @Override
      public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
        return h.linearDelta(layer, module, input, ctx);
      }

      @Override
      public int firstAdaptedLayer() {
        return 0;
      }
    };
  }

  @Test
  void blocksBelowTheFirstAdaptedLayerRunScriptedWithTheSameOutputsAndGradients() {
    Map<String, String> options =
        Map.of("rank", "2", "targets", "encoder\\.layer\\.1\\..*query", "dropout", "0.0");
    try (Adapter lora = AdapterRegistry.get("lora").create(options, encoder, 3)) {
      assertEquals(1, lora.firstAdaptedLayer(), "LoRA on block 1 only");
      java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
      for (AdapterTensor t : lora.tensors()) {
        float[] d = new float[(int) t.array().size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (rng.nextDouble() - 0.5);
        }
        Adapter.Tensors.assign(t.array(), d);
      }
      Map<String, float[]> fast = gradients(lora, lora);
      Map<String, float[]> eager = gradients(lora, everyBlockEager(lora));
      assertEquals(fast.keySet(), eager.keySet());
      for (String k : fast.keySet()) {
        assertTrue(
            maxDiff(fast.get(k), eager.get(k)) <= 1e-5,
            k + ": " + maxDiff(fast.get(k), eager.get(k)));
      }
    }
  }

  /** The summed output and the gradient of every LoRA tensor, with the given hooks. */
  static Map<String, float[]> gradients(Adapter lora, EncoderHooks hooks) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      Shape s = new Shape(batch.batchSize(), batch.seqLen());
      try (Autograd.Recording rec = Autograd.record()) {
        NDArray h =
            encoder.forward(
                m.create(batch.ids(), s), m.create(batch.mask(), s), hooks, HookContext.training());
        out.put("output", h.toFloatArray());
        rec.backward(h.mul(h).sum());
      }
      for (AdapterTensor t : lora.tensors()) {
        NDArray g = t.array().getGradient();
        out.put(t.name(), g.toFloatArray());
        g.subi(g);
      }
    }
    return out;
  }
}
