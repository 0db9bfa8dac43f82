package org.fedpeft.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense float32 tensor held on the Java heap, in row-major order.
 *
 * <p>This is the currency between the engine (DJL NDArrays), files (safetensors, checkpoints), the
 * wire (client updates) and aggregation rules. It is deliberately small: a shape and a flat array.
 * Instances are treated as immutable by convention; {@link #copy()} when you need to change values.
 *
 * @param shape the dimensions, each {@code >= 0}; an empty shape is a scalar
 * @param data the values in row-major order, {@code data.length == product(shape)}
 */
public record HostTensor(long[] shape, float[] data) {

  /** Validates that the shape is non-negative and matches the number of values. */
  public HostTensor {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    long n = numel(shape);
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + n + " values but got " + data.length);
    }
  }

  /** A tensor of zeros of the given shape. */
  public static HostTensor zeros(long... shape) {
    return new HostTensor(shape.clone(), new float[Math.toIntExact(numel(shape))]);
  }

  /** The number of elements of a shape; throws on negative dimensions or overflow. */
  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The number of elements. */
  public int size() {
    return data.length;
  }

  /** A deep copy. */
  public HostTensor copy() {
    return new HostTensor(shape.clone(), data.clone());
  }

  /** True if both shapes are equal. */
  public boolean sameShape(HostTensor other) {
    return Arrays.equals(shape, other.shape);
  }

  /** The squared L2 norm, accumulated in double precision. */
  public double squaredNorm() {
    double s = 0;
    for (float v : data) {
      s += (double) v * v;
    }
    return s;
  }

  /** True if every value is finite (no NaN, no infinity). */
  public boolean allFinite() {
    for (float v : data) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor t
        && Arrays.equals(shape, t.shape)
        && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "HostTensor" + Arrays.toString(shape);
  }
}
