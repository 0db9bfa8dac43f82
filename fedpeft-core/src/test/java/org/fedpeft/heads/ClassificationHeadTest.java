package org.fedpeft.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.peft.PerExampleGradients;
import org.fedpeft.random.Seeds;
import org.fedpeft.train.Autograd;
import org.fedpeft.train.LocalTrainer;
import org.junit.jupiter.api.Test;

/**
 * The multi-task head against a hand computation: each task's block is that task's own linear head,
 * an example is scored against its own task only, and the other tasks' tensors get exactly zero
 * gradient from it.
 */
class ClassificationHeadTest {

  private static final HeadLayout TWO_TASKS =
      new HeadLayout(List.of(new HeadLayout.Part("a", 2), new HeadLayout.Part("b", 3)));

  @Test
  void layoutNamesOffsetsAndChecks() {
    assertEquals(5, TWO_TASKS.total());
    assertEquals(2, TWO_TASKS.offset(1));
    assertEquals(List.of("a", "b"), TWO_TASKS.tasks());
    assertEquals("classifier.b.weight", TWO_TASKS.weightName(1));
    assertEquals("classifier.weight", HeadLayout.single(4).weightName(0));
    assertEquals(1, TWO_TASKS.indexOf("b"));
    assertThrows(IllegalArgumentException.class, () -> TWO_TASKS.indexOf("c"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new HeadLayout(List.of(new HeadLayout.Part("a", 2), new HeadLayout.Part("a", 3))));
    assertEquals(
        HeadLayout.single(3), HeadLayout.of(Map.of("only", List.of("x", "y", "z"))), "one task");
  }

  @Test
  void eachExampleIsScoredByItsOwnTasksHeadOnly() {
    Engines.gradModeOffOnThisThread();
    try (NDManager m = NDManager.newBaseManager();
        ClassificationHead head = new ClassificationHead(m, 4, TWO_TASKS, 7)) {
      float[] x = {0.5f, -1f, 2f, 0.25f, 1f, 0.5f, -0.5f, 3f};
      NDArray pooled = m.create(x, new Shape(2, 4));
      float[] wa = head.tensors().get(0).array().toFloatArray(); // (2, 4)
      float[] wb = head.tensors().get(2).array().toFloatArray(); // (3, 4)
      NDArray logits = head.logits(pooled, new int[] {0, 1});
      float[] got = logits.toFloatArray(); // (2, 5)
      // Example 0 is of task a: its a-block is W_a x, its b-block masked.
      for (int k = 0; k < 2; k++) {
        assertEquals(dot(wa, k, x, 0), got[k], 1e-5, "example 0, label a" + k);
      }
      for (int k = 2; k < 5; k++) {
        assertEquals(ClassificationHead.MASKED, got[k], 1e3, "example 0, masked b output");
      }
      // Example 1 is of task b.
      for (int k = 0; k < 3; k++) {
        assertEquals(dot(wb, k, x, 4), got[5 + 2 + k], 1e-5, "example 1, label b" + k);
      }
      for (long p : head.logits(pooled, new int[] {1, 1}).argMax(1).toLongArray()) {
        assertTrue(p >= 2 && p < 5, "a task-b example predicts a task-b label, got " + p);
      }
    }
  }

  @Test
  void aTaskHeadGetsNoGradientFromAnotherTasksExamples() {
    Engines.gradModeOffOnThisThread();
    try (NDManager m = NDManager.newBaseManager();
        ClassificationHead head = new ClassificationHead(m, 4, TWO_TASKS, 7)) {
      NDArray pooled = m.create(new float[] {1f, 2f, -1f, 0.5f}, new Shape(1, 4));
      NDArray label = m.create(new long[] {3}); // b's second label (offset 2 + 1)
      try (Autograd.Recording rec = Autograd.record()) {
        rec.backward(LocalTrainer.crossEntropy(head.logits(pooled, new int[] {1}), label));
      }
      float[] ga = head.tensors().get(0).array().getGradient().toFloatArray();
      float[] gb = head.tensors().get(2).array().getGradient().toFloatArray();
      for (float g : ga) {
        assertEquals(0.0, Math.abs(g), 0.0, "task a's weight: exactly zero gradient");
      }
      double nb = 0;
      for (float g : gb) {
        nb += Math.abs(g);
      }
      assertTrue(nb > 0, "task b's weight trains");
      // The loss equals the cross-entropy of task b's three logits alone.
      float[] wb = head.tensors().get(2).array().toFloatArray();
      float[] x = {1f, 2f, -1f, 0.5f};
      double[] z = new double[3];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < 3; k++) {
        z[k] = dot(wb, k, x, 0);
        max = Math.max(max, z[k]);
      }
      double lse = 0;
      for (double v : z) {
        lse += Math.exp(v - max);
      }
      double expected = -(z[1] - max - Math.log(lse));
      float got = LocalTrainer.crossEntropy(head.logits(pooled, new int[] {1}), label).getFloat();
      assertEquals(expected, got, 1e-5);
    }
  }

  @Test
  void perExampleGradientsSplitByTask() {
    Engines.gradModeOffOnThisThread();
    try (NDManager m = NDManager.newBaseManager();
        ClassificationHead head = new ClassificationHead(m, 4, TWO_TASKS, 7)) {
      NDArray pooled =
          m.create(new float[] {1f, 2f, -1f, 0.5f, 0.3f, -0.2f, 0.1f, 1f}, new Shape(2, 4));
      NDArray labels = m.create(new long[] {1, 4});
      head.beginPerExample(2);
      try (Autograd.Recording rec = Autograd.record()) {
        rec.backward(
            LocalTrainer.crossEntropy(head.logits(pooled, new int[] {0, 1}), labels).mul(2f));
      }
      Map<String, NDArray> g = head.perExampleGradients();
      assertEquals(
          Set.of(
              "classifier.a.weight",
              "classifier.a.bias",
              "classifier.b.weight",
              "classifier.b.bias"),
          g.keySet());
      assertArrayEquals(new long[] {2, 3, 4}, g.get("classifier.b.weight").getShape().getShape());
      float[] ga = g.get("classifier.a.weight").toFloatArray(); // (2, 2, 4)
      for (int i = 8; i < 16; i++) {
        assertEquals(0f, Math.abs(ga[i]), "example 1 (task b) gives task a nothing");
      }
      head.endPerExample();
    }
  }

  /**
   * The factored form DP-SGD uses equals the materialised per-example gradients: each example's
   * squared norm and a weighted sum over the examples, for every tensor of a two-task head.
   */
  @Test
  void clippableFormEqualsMaterialisedGradients() {
    Engines.gradModeOffOnThisThread();
    try (NDManager m = NDManager.newBaseManager();
        ClassificationHead head = new ClassificationHead(m, 4, TWO_TASKS, 7)) {
      NDArray pooled =
          m.create(
              new float[] {1f, 2f, -1f, 0.5f, 0.3f, -0.2f, 0.1f, 1f, -0.7f, 0.4f, 2f, 0f},
              new Shape(3, 4));
      NDArray labels = m.create(new long[] {1, 4, 0});
      head.beginPerExample(3);
      try (Autograd.Recording rec = Autograd.record()) {
        rec.backward(
            LocalTrainer.crossEntropy(head.logits(pooled, new int[] {0, 1, 0}), labels).mul(3f));
      }
      Map<String, NDArray> full = head.perExampleGradients();
      Map<String, PerExampleGradients.Clippable> factored = head.clippable();
      head.endPerExample();
      assertEquals(full.keySet(), factored.keySet());
      NDArray factors = m.create(new float[] {0.25f, 1f, 0.6f});
      for (String name : full.keySet()) {
        float[] g = full.get(name).toFloatArray();
        int per = g.length / 3;
        float[] norms = factored.get(name).squaredNorms().toFloatArray();
        float[] sum = factored.get(name).weightedSum(factors).toFloatArray();
        assertEquals(per, sum.length, name);
        float[] f = factors.toFloatArray();
        for (int i = 0; i < 3; i++) {
          double sq = 0;
          for (int k = 0; k < per; k++) {
            sq += (double) g[i * per + k] * g[i * per + k];
          }
          assertEquals(sq, norms[i], 1e-6 * (1 + sq), name + " example " + i);
        }
        for (int k = 0; k < per; k++) {
          double expected = 0;
          for (int i = 0; i < 3; i++) {
            expected += f[i] * g[i * per + k];
          }
          assertEquals(expected, sum[k], 1e-6, name + " element " + k);
        }
      }
    }
  }

  /**
   * A head's initial weights are the draws they have always been: Box-Muller on the uniform stream
   * of {@code java.util.SplittableRandom} of the head's seed (each task's derived seed in a
   * multi-task head), times 0.02, as 32-bit floats, bit for bit, for a few seeds.
   */
  @Test
  void initialWeightsAreTheDrawsOfEarlierRuns() {
    Engines.gradModeOffOnThisThread();
    int hidden = 6;
    for (long seed : new long[] {0, 1, 42, -7, Long.MIN_VALUE, 0x9E3779B97F4A7C15L}) {
      try (NDManager m = NDManager.newBaseManager();
          ClassificationHead single = new ClassificationHead(m, hidden, 3, seed);
          ClassificationHead multi = new ClassificationHead(m, hidden, TWO_TASKS, seed)) {
        assertArrayEquals(
            earlierDraws(seed, 3 * hidden),
            single.tensors().get(0).array().toFloatArray(),
            "seed " + seed);
        for (int t = 0; t < 2; t++) {
          HeadLayout.Part part = TWO_TASKS.parts().get(t);
          long s = Seeds.derive(seed, "head", Seeds.key(part.task()));
          assertArrayEquals(
              earlierDraws(s, part.labels() * hidden),
              multi.tensors().get(2 * t).array().toFloatArray(),
              "seed " + seed + ", task " + part.task());
        }
      }
    }
  }

  /** The initial weights as the head drew them before it used {@code SeededRandom}. */
  private static float[] earlierDraws(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] w = new float[n];
    for (int k = 0; k < n; k++) {
      double u1 = rng.nextDouble();
      double u2 = rng.nextDouble();
      w[k] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2) * 0.02);
    }
    return w;
  }

  private static double dot(float[] w, int row, float[] x, int from) {
    double s = 0;
    for (int j = 0; j < 4; j++) {
      s += w[row * 4 + j] * x[from + j];
    }
    return s;
  }
}
