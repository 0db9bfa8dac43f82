package org.fedpeft.peft.dual;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.BertWeights;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.Pooling;
import org.fedpeft.model.RandomBert;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.ClientContext;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.train.Autograd;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * FedDPA's computation on a tiny random BERT against hand computations that merge the two LoRA
 * updates into the frozen weights: the instance-wise mixing at inference in both weighting
 * directions (each example with its own weight, computed from embeddings of merged weights and
 * cosine similarities in Java), a batch equal to its examples computed alone, clamping, and
 * FedDPA-T's local phase (its value and its stopped gradient into the global adapter).
 */
class FedDpaMixingTest {

  static NDManager root;
  static BertEncoder encoder;
  static final BertConfig CFG = new BertConfig(50, 16, 2, 2, 24, 16, 2, 1e-12f);

  /** Eight client examples (token ids) the anchors are drawn from. */
  static final long[][] TRAIN = {
    {1, 5, 9, 2}, {1, 7, 3, 11, 4, 2}, {1, 8, 2}, {1, 12, 13, 14, 2},
    {1, 20, 21, 2}, {1, 5, 5, 9, 9, 2}, {1, 30, 31, 32, 33, 34, 2}, {1, 40, 2}
  };

  /** Test inputs of different lengths (so the batch is padded). */
  static final long[][] INPUTS = {{1, 5, 9, 3, 2}, {1, 44, 45, 46, 47, 48, 49, 2}, {1, 8, 2}};

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

  static FedDpaAdapter create(Map<String, String> extra) {
    Map<String, String> o = new HashMap<>(Map.of("rank", "2", "alpha", "4", "dropout", "0"));
    o.put("targets", "all-linear");
    o.put("instances", "3");
    o.putAll(extra);
    return (FedDpaAdapter) AdapterRegistry.get("feddpa").create(o, encoder, 5);
  }

  /**
   * Every phase offers factors; their product is the phase's change computed from the two members'
   * own changes: one member alone, both summed, both weighted per example (inference), and 0.3
   * local plus 0.7 global (the local phase, whose global factors carry no gradient).
   */
  @Test
  void everyPhaseOffersFactorsWhoseProductIsItsMixedChange() {
    try (FedDpaAdapter a = create(Map.of("local_weight", "0.3"));
        NDManager m = root.newSubManager()) {
      perturbLoras(a, 8);
      NDArray hiddenIn = m.randomNormal(new Shape(3, 4, CFG.hiddenSize()));
      NDArray intermediateIn = m.randomNormal(new Shape(3, 4, CFG.intermediateSize()));
      NDArray wg = m.create(new float[] {0.9f, 0.25f, 0f}, new Shape(3, 1, 1));
      NDArray wl = m.create(new float[] {0.1f, 0.75f, 1f}, new Shape(3, 1, 1));
      for (int module = 0; module < 6; module++) {
        NDArray x = module == 5 ? intermediateIn : hiddenIn;
        float[] g = member(a.global(), module, x);
        float[] l = member(a.local(), module, x);
        float[] sum = new float[g.length];
        float[] weighted = new float[g.length];
        float[] localPhase = new float[g.length];
        int perExample = g.length / 3;
        for (int i = 0; i < g.length; i++) {
          int e = i / perExample;
          sum[i] = g[i] + l[i];
          weighted[i] = g[i] * wg.getFloat(e, 0, 0) + l[i] * wl.getFloat(e, 0, 0);
          localPhase[i] = 0.7f * g[i] + 0.3f * l[i];
        }
        HookContext weights =
            HookContext.inference()
                .with(FedDpaAdapter.WEIGHT_GLOBAL, wg)
                .with(FedDpaAdapter.WEIGHT_LOCAL, wl);
        Map<HookContext, float[]> expected = new java.util.LinkedHashMap<>();
        expected.put(HookContext.training().inPhase(FedDpaAdapter.PHASE_GLOBAL), g);
        expected.put(HookContext.training().inPhase(FedDpaAdapter.PHASE_FINETUNE), l);
        expected.put(HookContext.training(), sum);
        expected.put(HookContext.inference(), g);
        expected.put(weights, weighted);
        expected.put(HookContext.training().inPhase(FedDpaAdapter.PHASE_LOCAL), localPhase);
        for (Map.Entry<HookContext, float[]> c : expected.entrySet()) {
          String what = "module " + module + ", phase " + c.getKey().phase();
          org.fedpeft.model.LowRankDelta f = a.linearLowRank(1, module, x, c.getKey());
          assertNotNull(f, what);
          float[] product = f.product().toFloatArray();
          assertClose(c.getValue(), product, 0, 1e-5, what);
          assertArrayEquals(
              product, a.linearDelta(1, module, x, c.getKey()).toFloatArray(), 0f, what);
        }
      }
      a.setEnabled(false);
      assertNull(a.linearLowRank(1, 0, hiddenIn, HookContext.training()));
      assertNull(a.linearDelta(1, 0, hiddenIn, HookContext.training()));
    }
  }

  /** One member's change of module {@code module} of block 1 on its own. */
  static float[] member(LoraAdapter lora, int module, NDArray x) {
    return lora.linearDelta(1, module, x, HookContext.training()).toFloatArray();
  }

  /** Random values in both LoRA adapters (B non-zero), so each changes the model. */
  static void perturbLoras(FedDpaAdapter a, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (AdapterTensor t : a.tensors()) {
      if (t.trainable()) {
        float[] d = new float[(int) t.array().size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (rng.nextDouble() - 0.5) * 0.6f;
        }
        Adapter.Tensors.assign(t.array(), d);
      }
    }
  }

  /** A client with {@link #TRAIN} as its data; it cannot train (FedDPA-T does not need to). */
  static ClientContext client(long seed) {
    EncodedExamples data = new EncodedExamples(TRAIN, new int[TRAIN.length]);
    return new ClientContext() {
      @Override
      public EncodedExamples trainingData() {
        return data;
      }

      @Override
      public long seed() {
        return seed;
      }

      @Override
      public int batchSize() {
        return 4;
      }

      @Override
      public double train(TrainingPhase phase, int steps) {
        throw new AssertionError("FedDPA-T trains nothing in personalise");
      }
    };
  }

  /** Marks the local adapter trained as a round-2 fit does, then embeds the anchors. */
  static void trainedAndPersonalised(FedDpaAdapter a) {
    Set<String> all = new LinkedHashSet<>();
    a.tensors().stream().filter(AdapterTensor::trainable).forEach(t -> all.add(t.name()));
    a.phases(new RoundSpec(2, 1, Map.of()), all);
    assertTrue(a.localReady());
    assertEquals(0, a.anchorCount(), "training makes the anchors stale");
    assertTrue(a.personalise(client(99)));
    assertEquals(3, a.anchorCount());
  }

  /** Hooks that change nothing but run every block eagerly (as the adapter's path does). */
  static final EncoderHooks EAGER =
      new EncoderHooks() {
        @Override
        public int firstAdaptedLayer() {
          return 0;
        }
      };

  /**
   * The mean-pooled output of one example with the frozen weights replaced by W + wg dW_global + wl
   * dW_local in every targeted module, computed with no hooks; the weights are restored exactly.
   */
  static float[] mergedPooled(long[] ids, LoraAdapter g, double wg, LoraAdapter l, double wl) {
    Map<int[], float[]> saved = new HashMap<>();
    try {
      for (int layer = 0; layer < CFG.numLayers(); layer++) {
        for (int m = 0; m < BertWeights.LINEAR_MODULES.size(); m++) {
          try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray dg = g.deltaWeight(layer, m);
            if (dg == null) {
              continue;
            }
            float[] dgv = dg.toFloatArray();
            float[] dlv = l.deltaWeight(layer, m).toFloatArray();
            NDArray w = encoder.linearWeight(layer, m);
            float[] w0 = w.toFloatArray();
            saved.put(new int[] {layer, m}, w0);
            float[] merged = new float[w0.length];
            for (int i = 0; i < merged.length; i++) {
              merged[i] = (float) (w0[i] + wg * dgv[i] + wl * dlv[i]);
            }
            Adapter.Tensors.assign(w, merged);
          }
        }
      }
      return pooled(new long[][] {ids}, EAGER, HookContext.inference(), null);
    } finally {
      saved.forEach((lm, w0) -> Adapter.Tensors.assign(encoder.linearWeight(lm[0], lm[1]), w0));
    }
  }

  /**
   * The mean-pooled outputs (batch x hidden, flattened) with {@code hooks}; with an adapter, after
   * its per-batch preparation.
   */
  static float[] pooled(long[][] seqs, EncoderHooks hooks, HookContext ctx, Adapter prepare) {
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      TokenBatch b = TokenBatch.pad(seqs);
      Shape s = new Shape(b.batchSize(), b.seqLen());
      NDArray ids = m.create(b.ids(), s);
      NDArray mask = m.create(b.mask(), s);
      if (prepare != null) {
        ctx = prepare.prepareBatch(ctx, ids, mask);
      }
      return Pooling.mean(encoder.forward(ids, mask, hooks, ctx), mask).toFloatArray();
    }
  }

  static double[] weights(FedDpaAdapter a, long[][] seqs) {
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      TokenBatch b = TokenBatch.pad(seqs);
      Shape s = new Shape(b.batchSize(), b.seqLen());
      return a.instanceWeights(m.create(b.ids(), s), m.create(b.mask(), s));
    }
  }

  /** The instance weight of each input by hand: anchors embedded with merged weights. */
  static double[] handWeights(FedDpaAdapter a, double maxWeight) {
    // The embedding model is the base model plus the local LoRA (the default embedding).
    float[] ex =
        a.tensors().stream()
            .filter(t -> t.name().equals(FedDpaAdapter.ANCHOR_EXAMPLES))
            .findFirst()
            .orElseThrow()
            .array()
            .toFloatArray();
    List<float[]> anchorEmb = new ArrayList<>();
    for (float idx : ex) {
      anchorEmb.add(mergedPooled(TRAIN[(int) idx], a.global(), 0, a.local(), 1));
    }
    double[] w = new double[INPUTS.length];
    for (int i = 0; i < INPUTS.length; i++) {
      float[] e = mergedPooled(INPUTS[i], a.global(), 0, a.local(), 1);
      double sum = 0;
      for (float[] anchor : anchorEmb) {
        double dot = 0;
        double ee = 0;
        double aa = 0;
        for (int k = 0; k < e.length; k++) {
          dot += e[k] * anchor[k];
          ee += e[k] * e[k];
          aa += anchor[k] * anchor[k];
        }
        sum += dot / Math.sqrt(ee * aa);
      }
      w[i] = Math.max(0, Math.min(1, maxWeight * sum / anchorEmb.size()));
    }
    return w;
  }

  static void assertClose(float[] expected, float[] actual, int offset, double tol, String what) {
    double worst = 0;
    for (int k = 0; k < expected.length; k++) {
      worst = Math.max(worst, Math.abs(expected[k] - actual[offset + k]));
    }
    assertTrue(worst <= tol, what + ": max difference " + worst);
  }

  @ParameterizedTest
  @ValueSource(strings = {"global", "local"})
  void eachExampleMixesTheTwoAdaptersWithItsOwnWeight(String direction) {
    try (FedDpaAdapter a = create(Map.of("weight_goes_to", direction, "max_weight", "0.6"))) {
      perturbLoras(a, 3);
      trainedAndPersonalised(a);
      double[] hand = handWeights(a, 0.6);
      double[] computed = weights(a, INPUTS);
      assertArrayEquals(hand, computed, 1e-5, "instance weights");
      for (double w : hand) {
        assertTrue(w > 0.05 && w < 0.95, "a weight that clamping does not decide: " + w);
      }
      assertNotEquals(hand[0], hand[1], 1e-4, "examples get different weights");

      float[] batch = pooled(INPUTS, a, HookContext.inference(), a);
      int h = CFG.hiddenSize();
      for (int i = 0; i < INPUTS.length; i++) {
        double wg = direction.equals("global") ? hand[i] : 1 - hand[i];
        float[] expected = mergedPooled(INPUTS[i], a.global(), wg, a.local(), 1 - wg);
        assertClose(expected, batch, i * h, 1e-5, direction + " example " + i);
        float[] alone = pooled(new long[][] {INPUTS[i]}, a, HookContext.inference(), a);
        assertClose(alone, batch, i * h, 1e-5, "example " + i + " alone and in the batch");
      }
      // The two directions differ: the weight of one adapter is the other's complement.
      float[] swapped = mergedPooled(INPUTS[1], a.global(), 1 - hand[1], a.local(), hand[1]);
      float[] kept = mergedPooled(INPUTS[1], a.global(), hand[1], a.local(), 1 - hand[1]);
      assertFalse(
          java.util.Arrays.equals(swapped, kept), "the direction matters for these weights");
    }
  }

  @Test
  void weightsAreClampedToOne() {
    try (FedDpaAdapter a = create(Map.of("max_weight", "40"))) {
      perturbLoras(a, 4);
      trainedAndPersonalised(a);
      double[] hand = handWeights(a, 40);
      assertArrayEquals(hand, weights(a, INPUTS), 1e-9);
      for (double w : hand) {
        assertEquals(1.0, w, "40 * a positive mean similarity is clamped to 1");
      }
      // Weight 1 on the global adapter: the model is the base plus the global adapter alone.
      float[] batch = pooled(INPUTS, a, HookContext.inference(), a);
      for (int i = 0; i < INPUTS.length; i++) {
        float[] expected = mergedPooled(INPUTS[i], a.global(), 1, a.local(), 0);
        assertClose(expected, batch, i * CFG.hiddenSize(), 1e-5, "example " + i);
      }
    }
  }

  @Test
  void zeroMaxWeightPutsEverythingOnTheOtherAdapter() {
    try (FedDpaAdapter a = create(Map.of("max_weight", "0", "embedding", "base"))) {
      perturbLoras(a, 6);
      trainedAndPersonalised(a);
      assertArrayEquals(new double[] {0, 0, 0}, weights(a, INPUTS), 0);
      float[] batch = pooled(INPUTS, a, HookContext.inference(), a);
      for (int i = 0; i < INPUTS.length; i++) {
        float[] expected = mergedPooled(INPUTS[i], a.global(), 0, a.local(), 1);
        assertClose(expected, batch, i * CFG.hiddenSize(), 1e-5, "example " + i);
      }
    }
  }

  @Test
  void beforeTheLocalAdapterIsTrainedInferenceUsesTheGlobalAdapterAlone() {
    try (FedDpaAdapter a = create(Map.of())) {
      perturbLoras(a, 7);
      assertFalse(a.localReady());
      assertFalse(a.personalise(client(1)), "nothing to embed before the local adapter trains");
      float[] batch = pooled(INPUTS, a, HookContext.inference(), a);
      for (int i = 0; i < INPUTS.length; i++) {
        float[] expected = mergedPooled(INPUTS[i], a.global(), 1, a.local(), 0);
        assertClose(expected, batch, i * CFG.hiddenSize(), 1e-5, "example " + i);
      }
    }
  }

  @Test
  void staleAnchorsAreRefusedNotSilentlyUsed() {
    try (FedDpaAdapter a = create(Map.of())) {
      perturbLoras(a, 8);
      trainedAndPersonalised(a);
      Set<String> all = new LinkedHashSet<>();
      a.tensors().stream().filter(AdapterTensor::trainable).forEach(t -> all.add(t.name()));
      a.phases(new RoundSpec(3, 1, Map.of()), all); // the next round's training
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class, () -> pooled(INPUTS, a, HookContext.inference(), a));
      assertTrue(e.getMessage().contains("anchor"), e.getMessage());
    }
  }

  @Test
  void anchorsAreDrawnOnceAndKept() {
    try (FedDpaAdapter a = create(Map.of())) {
      perturbLoras(a, 9);
      trainedAndPersonalised(a);
      AdapterTensor ex =
          a.tensors().stream()
              .filter(t -> t.name().equals(FedDpaAdapter.ANCHOR_EXAMPLES))
              .findFirst()
              .orElseThrow();
      float[] first = ex.array().toFloatArray();
      assertEquals(3, java.util.Arrays.stream(toDouble(first)).distinct().count());
      assertFalse(a.personalise(client(12345)), "same adapters, same anchors: nothing changed");
      assertArrayEquals(first, ex.array().toFloatArray(), "another seed keeps the examples");
      for (AdapterTensor t : a.tensors()) {
        if (t.name().startsWith("feddpa.")) {
          assertEquals(Role.LOCAL, t.role(), t.name());
          assertFalse(t.trainable(), t.name() + " is not trained by an optimiser");
        }
      }
    }
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /**
   * FedDPA-T's local phase computes W x + a dW_local x + (1 - a) dW_global x, with the global term
   * a constant for backward (as the reference code's {@code detach()}): the global adapter gets no
   * gradient, and no gradient flows back through the global term into the module's input. The
   * phases: local (local tensors, head frozen) then global (global tensors and the head).
   */
  @Test
  void localPhaseMixesWithLocalWeight() {
    try (FedDpaAdapter a = create(Map.of("local_weight", "0.3"))) {
      perturbLoras(a, 10);
      List<TrainingPhase> phases = a.phases(new RoundSpec(2, 1, Map.of()), trainable(a));
      assertEquals(
          List.of(FedDpaAdapter.PHASE_LOCAL, FedDpaAdapter.PHASE_GLOBAL),
          phases.stream().map(TrainingPhase::name).toList());
      assertFalse(phases.get(0).trainHead());
      assertTrue(phases.get(0).tensors().stream().allMatch(n -> n.startsWith("local/")));
      assertEquals(24, phases.get(0).tensors().size());
      assertTrue(phases.get(1).trainHead());
      assertTrue(phases.get(1).tensors().stream().allMatch(n -> n.startsWith("global/")));
      assertEquals(24, phases.get(1).tensors().size());

      HookContext localCtx = HookContext.inference().inPhase(FedDpaAdapter.PHASE_LOCAL);
      float[] mixed = pooled(INPUTS, a, localCtx, a);
      for (int i = 0; i < INPUTS.length; i++) {
        float[] expected = mergedPooled(INPUTS[i], a.global(), 0.7, a.local(), 0.3);
        assertClose(expected, mixed, i * CFG.hiddenSize(), 1e-5, "local phase, example " + i);
      }
      // The first round trains the global adapter alone, with every step.
      List<TrainingPhase> first = a.phases(new RoundSpec(1, 1, Map.of()), trainable(a));
      assertEquals(1, first.size());
      assertEquals(FedDpaAdapter.PHASE_GLOBAL, first.get(0).name());
      assertEquals(phases.get(1).tensors(), first.get(0).tensors());
    }
  }

  static Set<String> trainable(Adapter a) {
    Set<String> all = new LinkedHashSet<>();
    a.tensors().stream().filter(AdapterTensor::trainable).forEach(t -> all.add(t.name()));
    return all;
  }

  /**
   * The local phase's gradients, on one adapted module (the last block's output projection, so that
   * no other global term lies between it and the loss): the local adapter's match central finite
   * differences; the global adapter's are zero although the loss depends on it.
   */
  @Test
  void localPhaseGradientReachesTheLocalAdapterOnly() {
    Map<String, String> o = new HashMap<>(Map.of("rank", "2", "alpha", "4", "dropout", "0"));
    o.put("targets", "encoder.layer.1.output.dense");
    o.put("local_weight", "0.3");
    try (FedDpaAdapter a = (FedDpaAdapter) AdapterRegistry.get("feddpa").create(o, encoder, 5);
        ClassificationHead head = new ClassificationHead(root, CFG.hiddenSize(), 3, 4)) {
      perturbLoras(a, 11);
      ClassifierModel model = new ClassifierModel(encoder, a, head);
      // Both adapters' tensors trainable, so that the global one's gradient is recorded too.
      model.enterPhase(new TrainingPhase(FedDpaAdapter.PHASE_LOCAL, trainable(a), false, 1.0));
      TokenBatch b = TokenBatch.pad(INPUTS);
      long[] labels = {0, 2, 1};
      List<AdapterTensor> params = model.trainableTensors();
      assertEquals(4, params.size(), "A and B of each adapter; the head is frozen");
      Map<String, float[]> grads = new HashMap<>();
      try (NDScope scope = new NDScope();
          NDManager m = root.newSubManager()) {
        scope.suppressNotUsedWarning();
        try (Autograd.Recording rec = Autograd.record()) {
          rec.backward(loss(model, m, b, labels));
        }
        for (AdapterTensor p : params) {
          grads.put(p.name(), p.array().getGradient().toFloatArray());
        }
      }
      SplittableRandom rng = new SplittableRandom(1);
      double eps = 1e-2;
      int globalWithEffect = 0;
      double worst = 0;
      for (AdapterTensor p : params) {
        float[] value = p.array().toFloatArray();
        for (int k = 0; k < 4; k++) {
          int i = rng.nextInt(value.length);
          float[] plus = value.clone();
          plus[i] += (float) eps;
          float[] minus = value.clone();
          minus[i] -= (float) eps;
          Adapter.Tensors.assign(p.array(), plus);
          double lp = lossValue(model, b, labels);
          Adapter.Tensors.assign(p.array(), minus);
          double lm = lossValue(model, b, labels);
          Adapter.Tensors.assign(p.array(), value);
          double fd = (lp - lm) / (2 * eps);
          float g = grads.get(p.name())[i];
          if (p.name().startsWith("global/")) {
            assertEquals(0f, g, p.name() + ": the global adapter's gradient is stopped");
            if (Math.abs(fd) > 1e-4) {
              globalWithEffect++;
            }
          } else {
            double err = Math.abs(fd - g) / Math.max(1e-2, Math.abs(fd) + Math.abs(g));
            worst = Math.max(worst, err);
            assertTrue(err < 2e-2, p.name() + "[" + i + "]: autograd " + g + " vs " + fd);
          }
        }
      }
      assertTrue(globalWithEffect > 0, "the loss does depend on the global adapter");
      model.endPhases();
      System.out.println("feddpa local phase gradient check: worst relative error " + worst);
    }
  }

  static NDArray loss(ClassifierModel model, NDManager m, TokenBatch b, long[] labels) {
    Shape s = new Shape(b.batchSize(), b.seqLen());
    NDArray logits = model.logits(m.create(b.ids(), s), m.create(b.mask(), s), false);
    return LocalTrainer.crossEntropy(logits, m.create(labels));
  }

  static double lossValue(ClassifierModel model, TokenBatch b, long[] labels) {
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      return loss(model, m, b, labels)
          .toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
          .getDouble();
    }
  }
}
