package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.fedpeft.engine.Engines;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.StepRandom;
import org.junit.jupiter.api.Test;

class DropoutTest {

  @Test
  void maskKeepsOneMinusPScaledAndIsAFunctionOfTheSeed() {
    float p = 0.1f;
    float[] m = Dropout.mask(new SeededRandom(3), 400_001, p);
    int dropped = 0;
    for (float v : m) {
      if (v == 0f) {
        dropped++;
      } else {
        assertEquals(1f / (1f - p), v);
      }
    }
    // Binomial(400001, 0.1): sd ~ 190; 5 sd.
    assertTrue(Math.abs(dropped - 40_000) < 950, "dropped " + dropped);
    assertArrayEquals(m, Dropout.mask(new SeededRandom(3), 400_001, p));
    // The definition, element by element: two 32-bit halves per draw, high half first.
    SeededRandom r = new SeededRandom(3);
    long threshold = (long) Math.ceil(p * 4294967296.0);
    for (int i = 0; i < 1000; i += 2) {
      long bits = r.nextLong();
      assertEquals((bits >>> 32) < threshold ? 0f : 1f / (1f - p), m[i]);
      assertEquals((bits & 0xFFFFFFFFL) < threshold ? 0f : 1f / (1f - p), m[i + 1]);
    }
  }

  /**
   * QA, 6 December: the rows of a batch's (rows, tokens, features) array that a part of the batch
   * runs, padded to its own length or to the batch's, get the whole batch's mask of those rows and
   * tokens, and the generator ends where the whole batch's ends; odd sizes take their elements'
   * halves of the draws as the whole mask does.
   */
  @Test
  void aPartsMaskIsItsRowsOfTheWholeBatchsMask() {
    float p = 0.5f;
    int rows = 5;
    int seqLen = 4;
    for (int features : new int[] {3, 4}) {
      SeededRandom w = new SeededRandom(7);
      float[] whole = Dropout.mask(w, (long) rows * seqLen * features, p);
      for (int first : new int[] {0, 2, 3}) {
        for (int tokens : new int[] {1, 3, 4}) {
          int n = rows - first;
          SeededRandom r = new SeededRandom(7);
          float[] part =
              Dropout.mask(
                  r, new StepRandom.Part(first, rows, seqLen), new Shape(n, tokens, features), p);
          for (int i = 0; i < n; i++) {
            for (int t = 0; t < tokens; t++) {
              for (int j = 0; j < features; j++) {
                assertEquals(
                    whole[((first + i) * seqLen + t) * features + j],
                    part[(i * tokens + t) * features + j],
                    "row " + (first + i) + ", token " + t + ", feature " + j);
              }
            }
          }
          assertEquals(w.peek(0), r.peek(0), "the generator passes over the whole batch's draws");
        }
      }
    }
    // Not (rows, tokens, features), rows beyond the batch's, tokens beyond its length.
    for (Shape bad : new Shape[] {new Shape(2, 4), new Shape(3, 4, 3), new Shape(2, 5, 3)}) {
      assertThrows(
          IllegalStateException.class,
          () -> Dropout.mask(new SeededRandom(7), new StepRandom.Part(3, 5, 4), bad, p),
          bad.toString());
    }
  }

  @Test
  void appliesTheStepsMaskAndNeedsAStep() {
    Engines.pytorch();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.ones(new ai.djl.ndarray.types.Shape(3, 5));
      assertSame(x, Dropout.apply(x, 0f));
      assertThrows(IllegalStateException.class, () -> Dropout.apply(x, 0.5f));
      StepRandom.begin(11);
      float[] got;
      try {
        got = Dropout.apply(x, 0.5f).toFloatArray();
      } finally {
        StepRandom.end();
      }
      assertArrayEquals(Dropout.mask(new SeededRandom(11), 15, 0.5f), got);
      assertThrows(IllegalArgumentException.class, () -> Dropout.apply(x, 1f));
    }
  }
}
