package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.Test;

/**
 * Which form of attention {@link ScriptedAttention} picks by default: the fused operator where
 * autograd records the call, the separate operators otherwise. Each case compares its output bit
 * for bit with the forced forms' ({@code -Dfedpeft.attention=fused} and {@code eager}), which
 * differ from each other by rounding.
 */
class ScriptedAttentionTest {

  private static final int SEQ = 16;

  @Test
  void fusedOperatorOnlyWhereAGradientIsRecorded() {
    assertForm(true, "fused");
    assertForm(false, "eager");
  }

  /** Recorded or not, the default equals the {@code expected} form. */
  private static void assertForm(boolean recorded, String expected) {
    try (NDManager m = Engines.pytorch().newBaseManager()) {
      float[] auto = attend(m, recorded, null);
      float[] fused = attend(m, recorded, "fused");
      float[] eager = attend(m, recorded, "eager");
      assertFalse(Arrays.equals(fused, eager), "the forms must round differently here");
      assertArrayEquals(expected.equals("eager") ? eager : fused, auto, "recorded " + recorded);
    }
  }

  /**
   * Attention of fixed random (1, 16, 8) q, k and v (one head) with the module of form {@code
   * form}.
   */
  private static float[] attend(NDManager m, boolean recorded, String form) {
    return SystemProperties.with(
        ScriptedAttention.PROPERTY,
        form,
        () -> {
          try (NDManager sub = m.newSubManager();
              ScriptedAttention attention = ScriptedAttention.load(sub, 1)) {
            Shape shape = new Shape(1, SEQ, 8);
            SplittableRandom rng = new SplittableRandom(7);
            NDArray[] qkv = new NDArray[3];
            for (int i = 0; i < 3; i++) {
              float[] values = new float[SEQ * 8];
              for (int j = 0; j < values.length; j++) {
                values[j] = (float) (rng.nextDouble() * 4 - 2);
              }
              qkv[i] = sub.create(values, shape);
            }
            if (recorded) {
              qkv[0].setRequiresGradient(true);
            }
            boolean gradMode = JniUtils.isGradMode();
            JniUtils.setGradMode(recorded);
            try {
              return attention.apply(qkv[0], qkv[1], qkv[2], null).toFloatArray();
            } finally {
              JniUtils.setGradMode(gradMode);
            }
          }
        });
  }
}
