package org.fedpeft.federation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;

/** Tiny fixtures for the federation tests. */
final class Fx {

  private Fx() {}

  /** A vector. */
  static HostTensor vec(float... v) {
    return new HostTensor(new long[] {v.length}, v);
  }

  /** A rows x cols matrix, row-major. */
  static HostTensor mat(int rows, int cols, float... v) {
    return new HostTensor(new long[] {rows, cols}, v);
  }

  /** A map from alternating names and tensors. */
  static Map<String, HostTensor> tensors(Object... nameTensor) {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (int i = 0; i < nameTensor.length; i += 2) {
      m.put((String) nameTensor[i], (HostTensor) nameTensor[i + 1]);
    }
    return m;
  }

  /** An update without metrics. */
  static ClientUpdate update(String id, long examples, Object... nameTensor) {
    return new ClientUpdate(id, tensors(nameTensor), examples);
  }

  /** Exact equality of values and shape. */
  static void assertTensor(HostTensor expected, HostTensor actual) {
    assertArrayEquals(expected.shape(), actual.shape(), "shape");
    assertArrayEquals(expected.data(), actual.data(), "values");
  }

  /** Values within a relative tolerance of hand-computed doubles. */
  static void assertClose(double[] expected, HostTensor actual, double relTol) {
    assertEquals(expected.length, actual.size(), "size");
    for (int i = 0; i < expected.length; i++) {
      double tol = relTol * Math.max(1e-6, Math.abs(expected[i]));
      assertEquals(expected[i], actual.data()[i], tol, "element " + i);
    }
  }
}
