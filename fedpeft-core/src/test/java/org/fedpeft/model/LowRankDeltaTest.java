package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Changes of the query and value products given as factors ({@link EncoderHooks#linearLowRank}),
 * which a bfloat16 base adds to its bfloat16 outputs in one product, against the same changes given
 * whole ({@link EncoderHooks#linearDelta}): on the bundled MiniLM, the same hidden states and the
 * same gradients of the factors' tensors up to bfloat16 rounding, each compared with the float32
 * base's; and the encoder asks each changed module for exactly one of the two.
 */
class LowRankDeltaTest {

  static final int RANK = 8;
  static final int[] CHANGED = {0, 2}; // query, value

  static PretrainedModel model;
  static TokenBatch batch;

  @BeforeAll
  static void load() throws Exception {
    model = PretrainedModel.bundledMiniLm();
    try (TextTokenizer tok = model.newTokenizer()) {
      batch =
          tok.encodeBatch(
              List.of(
                  "a small domesticated carnivorous mammal with soft fur",
                  "a hand tool with a heavy head for driving nails",
                  "to move quickly on foot",
                  "x"));
    }
  }

  /** LoRA-like hooks on the query and value modules of every block, with given A and B. */
  static final class Hooks implements EncoderHooks {
    final NDArray[][] a = new NDArray[6][3]; // (r, in)
    final NDArray[][] up = new NDArray[6][3]; // (r, out): B^T
    final boolean factors;
    int lowRankCalls;
    int deltaCalls;

    Hooks(NDManager m, boolean factors) {
      this.factors = factors;
      SplittableRandom rng = new SplittableRandom(5);
      for (int l = 0; l < 6; l++) {
        for (int module : CHANGED) {
          a[l][module] = values(m, rng, new Shape(RANK, 384), 0.3);
          up[l][module] = values(m, rng, new Shape(RANK, 384), 0.3);
        }
      }
    }

    private static NDArray values(NDManager m, SplittableRandom rng, Shape shape, double scale) {
      float[] v = new float[(int) shape.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) ((rng.nextDouble() - 0.5) * scale);
      }
      NDArray t = m.create(v, shape);
      t.setRequiresGradient(true);
      return t;
    }

    List<NDArray> tensors() {
      List<NDArray> all = new ArrayList<>();
      for (int l = 0; l < 6; l++) {
        for (int module : CHANGED) {
          all.add(a[l][module]);
          all.add(up[l][module]);
        }
      }
      return all;
    }

    @Override
    public boolean changesLinear(int layer, int module) {
      return module == 0 || module == 2;
    }

    @Override
    public LowRankDelta linearLowRank(int layer, int module, NDArray input, HookContext ctx) {
      assertTrue(changesLinear(layer, module), "asked for factors of unchanged module " + module);
      lowRankCalls++;
      if (!factors) {
        return null;
      }
      return new LowRankDelta(input.matMul(a[layer][module].transpose()), up[layer][module]);
    }

    @Override
    public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
      if (!changesLinear(layer, module)) {
        return null; // the float32 path asks every module
      }
      deltaCalls++;
      return input.matMul(a[layer][module].transpose()).matMul(up[layer][module]);
    }
  }

  record Pass(float[] hidden, List<float[]> grads, int lowRankCalls, int deltaCalls) {}

  /** One forward pass with gradients and a fixed linear loss of the hidden states. */
  static Pass pass(Precision precision, boolean factors, boolean withHooks) {
    Engine engine = Engines.pytorch();
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(model.weights(), root, precision);
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      Hooks hooks = new Hooks(root, factors);
      Shape s = new Shape(batch.batchSize(), batch.seqLen());
      float[] hidden;
      try (GradientCollector gc = engine.newGradientCollector()) {
        NDArray h =
            enc.forward(
                root.create(batch.ids(), s),
                root.create(batch.mask(), s),
                withHooks ? hooks : EncoderHooks.NONE,
                true);
        hidden = h.toFloatArray();
        SplittableRandom rng = new SplittableRandom(9);
        float[] w = new float[hidden.length];
        for (int i = 0; i < w.length; i++) {
          w[i] = (float) (rng.nextDouble() - 0.5);
        }
        if (withHooks) {
          gc.backward(h.mul(root.create(w, h.getShape())).sum());
        }
      }
      List<float[]> grads = new ArrayList<>();
      if (withHooks) {
        for (NDArray t : hooks.tensors()) {
          grads.add(t.getGradient().toFloatArray());
        }
      }
      return new Pass(hidden, grads, hooks.lowRankCalls, hooks.deltaCalls);
    }
  }

  static double relativeDifference(float[] got, float[] want) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < want.length; i++) {
      diff += (double) (got[i] - want[i]) * (got[i] - want[i]);
      norm += (double) want[i] * want[i];
    }
    return Math.sqrt(diff / norm);
  }

  /**
   * Bounds, as in Bf16GradientTest: every frozen product rounds to bfloat16 (2^-9 relative per
   * value), so the bfloat16 passes differ from float32 by about 1 % in the hidden states and the
   * gradients; the factored and the whole changes round the change once and twice respectively, a
   * difference far below that. The changes are large (about a quarter of the query and value
   * outputs), so factors that were dropped or applied transposed would miss by far more.
   */
  @Test
  void factoredChangesEqualWholeOnesUpToBfloat16Rounding() {
    Pass fp32 = pass(Precision.FP32, false, true);
    Pass whole = pass(Precision.BF16, false, true);
    Pass factored = pass(Precision.BF16, true, true);
    Pass base = pass(Precision.BF16, false, false);

    // Each changed module is asked once: for factors first, and whole only when there are none.
    assertEquals(12, fp32.lowRankCalls() + fp32.deltaCalls(), "fp32 asks for whole changes only");
    assertEquals(0, fp32.lowRankCalls());
    assertEquals(12, whole.lowRankCalls());
    assertEquals(12, whole.deltaCalls());
    assertEquals(12, factored.lowRankCalls());
    assertEquals(0, factored.deltaCalls());

    double wholeVsFp32 = relativeDifference(whole.hidden(), fp32.hidden());
    double factoredVsFp32 = relativeDifference(factored.hidden(), fp32.hidden());
    double factoredVsWhole = relativeDifference(factored.hidden(), whole.hidden());
    double baseVsFp32 = relativeDifference(base.hidden(), fp32.hidden());
    System.out.printf(
        "hidden states, relative L2 difference: whole-vs-fp32 %.3g, factored-vs-fp32 %.3g,"
            + " factored-vs-whole %.3g, unchanged base-vs-fp32 %.3g%n",
        wholeVsFp32, factoredVsFp32, factoredVsWhole, baseVsFp32);
    assertTrue(baseVsFp32 > 0.1, "the changes must matter: " + baseVsFp32);
    assertTrue(factoredVsFp32 <= 0.02, "factored vs fp32: " + factoredVsFp32);
    assertTrue(factoredVsWhole <= 0.02, "factored vs whole: " + factoredVsWhole);

    double worst = 0;
    double worstWhole = 0;
    for (int i = 0; i < fp32.grads().size(); i++) {
      double rel = relativeDifference(factored.grads().get(i), fp32.grads().get(i));
      worst = Math.max(worst, rel);
      worstWhole =
          Math.max(worstWhole, relativeDifference(whole.grads().get(i), fp32.grads().get(i)));
      assertTrue(rel <= 0.05, "gradient " + i + ": relative L2 difference " + rel);
    }
    System.out.printf(
        "gradients of A and B^T, worst relative L2 difference from fp32: factored %.3g, whole"
            + " %.3g%n",
        worst, worstWhole);
  }
}
