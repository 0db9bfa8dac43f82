package org.fedpeft.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class VectorsTest {

  @Test
  void cosineByHand() {
    // (1, 0) . (1, 1) = 1; |(1, 0)| = 1, |(1, 1)| = sqrt(2)
    assertEquals(1 / Math.sqrt(2), Vectors.cosine(new float[] {1, 0}, new float[] {1, 1}), 1e-15);
    // (3, 4) and (-4, 3) are orthogonal; (3, 4) and (-6, -8) opposite
    assertEquals(0, Vectors.cosine(new float[] {3, 4}, new float[] {-4, 3}), 0);
    assertEquals(-1, Vectors.cosine(new float[] {3, 4}, new float[] {-6, -8}), 1e-15);
  }

  @Test
  void cosineOfSlicesReadsOnlyTheirElements() {
    float[] x = {9, 9, 1, 2, 9};
    float[] y = {2, 4, 7};
    // x[2..4) = (1, 2), y[0..2) = (2, 4): parallel
    assertEquals(1, Vectors.cosine(x, 2, y, 0, 2), 1e-15);
  }

  @Test
  void aZeroVectorGivesZeroAsTorchDoes() {
    // torch.cosine_similarity divides by max(|x| |y|, 1e-8)
    assertEquals(0, Vectors.cosine(new float[] {0, 0}, new float[] {1, 2}), 0);
  }

  @Test
  void vectorsOfDifferentLengthsAreRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Vectors.cosine(new float[] {1, 2}, new float[] {1, 2, 3}));
    assertEquals("vectors of different lengths: 2 and 3", e.getMessage());
  }
}
