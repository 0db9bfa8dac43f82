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
import org.junit.jupiter.api.Test;

/**
 * Which form of attention {@link ScriptedAttention} picks by default: the fused operator where
 * autograd records the call, the separate operators otherwise. Each case compares its output bit
 * for bit with the forced forms' ({@code -Dfedpeft.attention=fused} and {@code eager}), which
 * differ from each other by rounding.
 */
class ScriptedAttentionTest {

  @Test
  void fusedOperatorOnlyWhereAGradientIsRecorded() {
    assertForm(16, true, "fused");
    assertForm(16, false, "eager");
  }

  /** With {@code seq} tokens, recorded or not, the default equals the {@code expected} form. */
  private static void assertForm(int seq, boolean recorded, String expected) {
    try (NDManager m = Engines.pytorch().newBaseManager()) {
      float[] auto = attend(m, seq, recorded, null);
      float[] fused = attend(m, seq, recorded, "fused");
      float[] eager = attend(m, seq, recorded, "eager");
      assertFalse(Arrays.equals(fused, eager), "the forms must round differently here");
      assertArrayEquals(expected.equals("eager") ? eager : fused, auto, seq + " tokens");
    }
  }

  /** Attention of fixed random (1, 1, seq, 8) q, k and v with the module of form {@code form}. */
  private static float[] attend(NDManager m, int seq, boolean recorded, String form) {
    String before = System.getProperty(ScriptedAttention.PROPERTY);
    if (form == null) {
      System.clearProperty(ScriptedAttention.PROPERTY);
    } else {
      System.setProperty(ScriptedAttention.PROPERTY, form);
    }
    try (NDManager sub = m.newSubManager();
        ScriptedAttention attention = ScriptedAttention.load(sub)) {
      Shape shape = new Shape(1, 1, seq, 8);
      SplittableRandom rng = new SplittableRandom(7);
      NDArray[] qkv = new NDArray[3];
      for (int i = 0; i < 3; i++) {
        float[] values = new float[seq * 8];
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
    } finally {
      if (before == null) {
        System.clearProperty(ScriptedAttention.PROPERTY);
      } else {
        System.setProperty(ScriptedAttention.PROPERTY, before);
      }
    }
  }
}
