package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.RandomBert;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.Test;

/**
 * The encoder's kernel choices against their alternatives, on hidden states of a padded and an
 * unpadded batch and the gradients of every adapter tensor, on a tiny random BERT with LoRA on
 * every linear module; they may differ by float rounding only: the fused attention (libtorch's
 * scaled_dot_product_attention through a TorchScript module, {@code -Dfedpeft.attention=fused})
 * against the separate operators ({@code eager}); the default uses each where it says it does.
 */
class KernelChoicesTest {

  private static final String ATTENTION = "fedpeft.attention";

  @Test
  void fusedAttentionMatchesSeparateOperators() {
    compare(ATTENTION, "fused", "eager");
  }

  /**
   * By default the hidden states (no gradient recorded) are the separate operators', bit for bit,
   * and the gradients (recorded) the fused attention's.
   */
  @Test
  void defaultFusesOnlyWhereAGradientIsRecorded() {
    float[][] byDefault = run(ATTENTION, null);
    float[][] fused = run(ATTENTION, "fused");
    float[][] eager = run(ATTENTION, "eager");
    boolean differ = false;
    for (int i = 0; i < byDefault.length; i++) {
      assertArrayEquals(i < HIDDEN_ARRAYS ? eager[i] : fused[i], byDefault[i], "array " + i);
      differ |= !Arrays.equals(fused[i], eager[i]);
    }
    assertTrue(differ, "the two forms round alike here, so this test cannot tell them apart");
  }

  @Test
  void unknownSettingIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> run(ATTENTION, "flash"));
    assertTrue(e.getMessage().contains("-Dfedpeft.attention=flash"), e.getMessage());
  }

  /**
   * The run with {@code property} set to {@code value} against the one with {@code alternative}.
   */
  private static void compare(String property, String value, String alternative) {
    float[][] fused = run(property, value);
    float[][] eager = run(property, alternative);
    assertTrue(fused.length == eager.length && fused.length > 3);
    double worst = 0;
    for (int i = 0; i < fused.length; i++) {
      double scale = 0;
      for (float x : eager[i]) {
        scale = Math.max(scale, Math.abs(x));
      }
      for (int j = 0; j < fused[i].length; j++) {
        double d = Math.abs(fused[i][j] - eager[i][j]) / Math.max(scale, 1e-6);
        worst = Math.max(worst, d);
        assertTrue(d < 5e-5, "array " + i + "[" + j + "]: " + fused[i][j] + " vs " + eager[i][j]);
      }
    }
    System.out.println(
        "-D" + property + "=" + value + " vs " + alternative + ": largest difference " + worst);
  }

  /** The arrays {@link #run(String, String)} returns before the gradients: hidden states. */
  private static final int HIDDEN_ARRAYS = 2;

  /**
   * With {@code property} set to {@code value} (cleared when null): the hidden states of a padded
   * and an unpadded batch, then the gradient of every trainable tensor.
   */
  private static float[][] run(String property, String value) {
    Engine engine = Engines.pytorch();
    BertConfig cfg = new BertConfig(50, 32, 2, 4, 48, 16, 2, 1e-12f);
    long seed = 99L;
    TokenBatch padded =
        TokenBatch.pad(new long[][] {{1, 5, 9, 2}, {1, 7, 3, 11, 4, 12, 13, 2}, {1, 8, 2}});
    TokenBatch full = TokenBatch.pad(new long[][] {{1, 5, 9, 6, 2}, {1, 7, 3, 11, 2}});
    long[] labels = {0, 2, 1};
    return SystemProperties.with(
        property, value, () -> run(engine, cfg, seed, padded, full, labels));
  }

  private static float[][] run(
      Engine engine, BertConfig cfg, long seed, TokenBatch padded, TokenBatch full, long[] labels) {
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(RandomBert.weights(cfg, seed), root);
        Adapter lora =
            AdapterRegistry.get("lora")
                .create(
                    Map.of("rank", "2", "alpha", "4", "dropout", "0", "targets", "all-linear"),
                    enc,
                    seed);
        ClassificationHead head = new ClassificationHead(root, 32, 3, seed)) {
      SplittableRandom rng = new SplittableRandom(seed);
      for (AdapterTensor t : lora.tensors()) {
        float[] d = new float[(int) t.array().size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (rng.nextDouble() - 0.5);
        }
        Adapter.Tensors.assign(t.array(), d);
      }
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      List<AdapterTensor> params = model.trainableTensors();
      float[][] out = new float[HIDDEN_ARRAYS + params.size()][];
      try (NDScope scope = new NDScope();
          NDManager m = root.newSubManager()) {
        scope.suppressNotUsedWarning();
        int k = 0;
        for (TokenBatch b : new TokenBatch[] {padded, full}) {
          ai.djl.ndarray.types.Shape s = new ai.djl.ndarray.types.Shape(b.batchSize(), b.seqLen());
          out[k++] =
              enc.forward(m.create(b.ids(), s), m.create(b.mask(), s), EncoderHooks.NONE, false)
                  .toFloatArray();
        }
        try (GradientCollector gc = engine.newGradientCollector()) {
          NDArray loss = GradientCheckTest.loss(model, m, padded, labels);
          gc.backward(loss);
        }
        for (AdapterTensor p : params) {
          out[k++] = p.array().getGradient().toFloatArray();
        }
      }
      return out;
    }
  }
}
