package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.junit.jupiter.api.Test;

/**
 * The frozen products {@code x W^T + b} of both precisions against a double-precision computation,
 * at the model's shapes and at small and odd ones (tiny test models, short batches). The kernels
 * behind them (MKL's sgemm with the kernels {@link org.fedpeft.engine.MklDispatch} picks, oneDNN's
 * bfloat16 product) are chosen per CPU and per shape, and one of them has been seen to be wrong on
 * one CPU at some shapes only: oneDNN's float32 inner product gave errors of the size of the values
 * at 24 x 32 -> 48 on a Zen 5, and right results at the model's shapes.
 */
class FrozenProductsTest {

  /** (rows, in, out): the model's shapes, then small and odd ones. */
  private static final int[][] SHAPES = {
    {512, 384, 1152},
    {2048, 384, 1536},
    {256, 1536, 384},
    {24, 32, 48},
    {24, 32, 40},
    {24, 32, 33},
    {24, 48, 48},
    {24, 48, 32},
    {3, 32, 96},
    {1, 7, 5},
    {17, 384, 384}
  };

  @Test
  void float32ProductsEqualDoublePrecisionToFloatRounding() {
    try (NDManager m = Engines.pytorch().newBaseManager();
        ScriptedBlock block = ScriptedBlock.load(m)) {
      for (int[] s : SHAPES) {
        Operands o = new Operands(s, 1);
        float[] y =
            block
                .linear(
                    m.create(o.x, new Shape(s[0], s[1])),
                    m.create(o.w, new Shape(s[2], s[1])),
                    m.create(o.b, new Shape(s[2])))
                .toFloatArray();
        o.check(y, false);
      }
    }
  }

  @Test
  void bfloat16ProductsAreTheBfloat16RoundingOfTheExactProduct() {
    int layers = (SHAPES.length + Bf16Base.SLOTS_PER_LAYER - 1) / Bf16Base.SLOTS_PER_LAYER;
    try (NDManager m = Engines.pytorch().newBaseManager();
        Bf16Base base = Bf16Base.load(m, layers, 1)) {
      Operands[] ops = new Operands[SHAPES.length];
      for (int k = 0; k < SHAPES.length; k++) { // slots are stored in order, one per shape
        int[] s = SHAPES[k];
        ops[k] = new Operands(s, 2);
        base.store(m.create(ops[k].w, new Shape(s[2], s[1])), m.create(ops[k].b, new Shape(s[2])));
      }
      for (int k = 0; k < SHAPES.length; k++) {
        NDArray x = m.create(ops[k].x, new Shape(SHAPES[k][0], SHAPES[k][1]));
        ops[k].check(base.linear(x, k).toFloatArray(), true);
      }
    }
  }

  /** Random operands of one shape and their product in double precision. */
  private static final class Operands {
    final int rows;
    final int in;
    final int out;
    final float[] x;
    final float[] w;
    final float[] b;

    Operands(int[] shape, long seed) {
      rows = shape[0];
      in = shape[1];
      out = shape[2];
      SplittableRandom r = new SplittableRandom(seed);
      x = gaussian(r, rows * in);
      w = gaussian(r, out * in);
      b = gaussian(r, out);
    }

    private static float[] gaussian(SplittableRandom r, int n) {
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = (float) r.nextGaussian();
      }
      return v;
    }

    /**
     * Checks {@code y} against the exact product: in float32 within the accumulation's rounding
     * ({@code in} sums of the terms' magnitude at float32 precision); in bfloat16 (operands rounded
     * to bfloat16, as the product rounds them) the result must be the exact product rounded to
     * bfloat16, within half a bfloat16 step plus the float32 accumulation's rounding.
     */
    void check(float[] y, boolean bf16) {
      String where = (bf16 ? "bf16 " : "fp32 ") + rows + " x " + in + " -> " + out;
      assertTrue(y.length == rows * out, where + ": " + y.length + " values");
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < out; j++) {
          double exact = bf16 ? bf16(b[j]) : b[j];
          double magnitude = Math.abs(exact);
          for (int t = 0; t < in; t++) {
            double term =
                bf16
                    ? (double) bf16(x[i * in + t]) * bf16(w[j * in + t])
                    : (double) x[i * in + t] * w[j * in + t];
            exact += term;
            magnitude += Math.abs(term);
          }
          double got = y[i * out + j];
          double accumulation = (in + 1) * 0x1p-24 * magnitude;
          double bound =
              bf16
                  ? 0.5 * Math.ulp((float) Math.max(Math.abs(got), Math.abs(exact))) * 0x1p16
                      + accumulation
                  : accumulation;
          assertTrue(
              Math.abs(got - exact) <= bound,
              where + ", [" + i + "][" + j + "]: " + got + " against exact " + exact);
        }
      }
    }
  }

  /** {@code v} rounded to bfloat16 (nearest, ties to even), as float32. */
  static float bf16(float v) {
    int bits = Float.floatToRawIntBits(v);
    bits += 0x7fff + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(bits & 0xffff0000);
  }
}
