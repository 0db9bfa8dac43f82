package org.fedpeft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.TorchScriptModule;

/**
 * The encoder's linear layers ({@code x W^T + b}, float32 input and output) at the 16 x 128-token
 * workload's shapes, computed six ways that alternate call by call (rotating which goes first):
 *
 * <ul>
 *   <li>{@code fp32}: DJL's {@code linear} (libtorch {@code addmm}, MKL sgemm), what the encoder
 *       does today;
 *   <li>{@code fp32-onednn}: {@code mkldnn::_linear_pointwise} on the dense fp32 weight;
 *   <li>{@code fp32-onednn-packed}: the same with the weight reordered once into oneDNN's blocked
 *       layout ({@code mkldnn::_reorder_linear_weight}), as a frozen weight could be;
 *   <li>{@code fp32-mkl-packed}: MKL's packed sgemm ({@code mkl::_mkl_linear}) with the weight
 *       packed once for this batch size ({@code mkl::_mkl_reorder_linear_weight});
 *   <li>{@code bf16}: input cast to bfloat16, {@code linear} with a bf16 copy of weight and bias
 *       made once, output cast back to float32;
 *   <li>{@code bf16-packed}: the same through {@code _linear_pointwise} with the bf16 weight
 *       reordered once.
 * </ul>
 *
 * Each line gives the median time, GFLOP/s and the largest difference from {@code fp32} relative to
 * the largest output magnitude. Usage: {@code LinearPrecision [REPS]}
 */
public final class LinearPrecision {

  private static final String NAME = "FedpeftLinearPrecision";
  private static final String SELF = "self: __torch__." + NAME;
  private static final String NO_SCALARS = "annotate(List[Optional[number]], [])";
  private static final String BODY =
      "  def to_bf16("
          + SELF
          + ", a: Tensor) -> Tensor:\n"
          + "    return a.to(15)\n"
          + "  def pack("
          + SELF
          + ", w: Tensor, batch: int) -> Tensor:\n"
          + "    return ops.mkldnn._reorder_linear_weight(w, batch)\n"
          + "  def mkl_pack("
          + SELF
          + ", w: Tensor, batch: int) -> Tensor:\n"
          + "    return ops.mkl._mkl_reorder_linear_weight(w, batch)\n"
          + "  def mkl_packed("
          + SELF
          + ", x: Tensor, w: Tensor, ow: Tensor, b: Tensor, batch: int) -> Tensor:\n"
          + "    return ops.mkl._mkl_linear(x, w, ow, b, batch)\n"
          + "  def onednn("
          + SELF
          + ", x: Tensor, w: Tensor, b: Tensor) -> Tensor:\n"
          + "    return ops.mkldnn._linear_pointwise(x, w, b, \"none\", "
          + NO_SCALARS
          + ", \"\")\n"
          + "  def bf16("
          + SELF
          + ", x: Tensor, w: Tensor, b: Tensor) -> Tensor:\n"
          + "    return torch.linear(x.to(15), w, b).float()\n"
          + "  def bf16_onednn("
          + SELF
          + ", x: Tensor, w: Tensor, b: Tensor) -> Tensor:\n"
          + "    return ops.mkldnn._linear_pointwise(x.to(15), w, b, \"none\", "
          + NO_SCALARS
          + ", \"\").float()\n";

  private static final String[] KINDS = {
    "fp32", "fp32-onednn", "fp32-onednn-packed", "fp32-mkl-packed", "bf16", "bf16-packed"
  };

  private LinearPrecision() {}

  public static void main(String[] args) {
    int reps = BenchSupport.Args.of(args, 0, 1, "LinearPrecision [REPS]").count(0, "REPS", 20);
    System.out.println(MachineInfo.describe());
    System.out.println("load: " + BenchSupport.load());
    long t = (long) BenchSupport.BATCH * BenchSupport.SEQ;
    long[][] shapes = {{t, 384, 1152}, {t, 384, 384}, {t, 384, 1536}, {t, 1536, 384}};
    double[] totalMs = new double[KINDS.length];
    double flopsTotal = 0;
    try (NDManager m = Engines.pytorch().newBaseManager();
        TorchScriptModule mod = TorchScriptModule.load(m, NAME, BODY)) {
      for (long[] s : shapes) {
        try (NDManager sm = m.newSubManager()) {
          NDArray x = sm.randomUniform(-1, 1, new Shape(s[0], s[1]));
          NDArray w = sm.randomUniform(-0.1f, 0.1f, new Shape(s[2], s[1]));
          NDArray b = sm.randomUniform(-0.1f, 0.1f, new Shape(s[2]));
          IValue xi = IValue.from((PtNDArray) x);
          IValue wi = IValue.from((PtNDArray) w);
          IValue bi = IValue.from((PtNDArray) b);
          IValue packed = null;
          IValue wb = null;
          IValue bb = null;
          IValue wbPacked = null;
          IValue mklPacked = null;
          IValue batchValue = IValue.from(s[0]);
          String packError = null;
          String mklPackError = null;
          try {
            try (IValue batch = IValue.from(s[0])) {
              packed = mod.run("pack", wi, batch);
            } catch (RuntimeException e) {
              packError = e.getMessage().split("\n")[0];
            }
            try {
              mklPacked = mod.run("mkl_pack", wi, batchValue);
            } catch (RuntimeException e) {
              mklPackError = e.getMessage().split("\n")[0];
            }
            wb = mod.run("to_bf16", wi);
            bb = mod.run("to_bf16", bi);
            if (packError == null) {
              try (IValue batch = IValue.from(s[0])) {
                wbPacked = mod.run("pack", wb, batch);
              }
            }
            NDArray ref = x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
            float refMax = ref.abs().max().getFloat();
            List<List<Double>> times = new ArrayList<>();
            double[] diff = new double[KINDS.length];
            for (int k = 0; k < KINDS.length; k++) {
              times.add(new ArrayList<>());
            }
            for (int i = 0; i < reps + 3; i++) {
              for (int r = 0; r < KINDS.length; r++) {
                int k = (i + r) % KINDS.length;
                IValue[] call =
                    switch (KINDS[k]) {
                      case "fp32" -> null;
                      case "fp32-onednn" -> new IValue[] {xi, wi, bi};
                      case "fp32-onednn-packed" ->
                          packed == null ? null : new IValue[] {xi, packed, bi};
                      case "fp32-mkl-packed" ->
                          mklPacked == null
                              ? null
                              : new IValue[] {xi, mklPacked, wi, bi, batchValue};
                      case "bf16" -> new IValue[] {xi, wb, bb};
                      default -> wbPacked == null ? null : new IValue[] {xi, wbPacked, bb};
                    };
                if (call == null && k != 0) {
                  continue;
                }
                String method =
                    switch (KINDS[k]) {
                      case "bf16" -> "bf16";
                      case "bf16-packed" -> "bf16_onednn";
                      case "fp32-mkl-packed" -> "mkl_packed";
                      default -> "onednn";
                    };
                try (NDScope scope = new NDScope()) {
                  scope.suppressNotUsedWarning();
                  long t0 = System.nanoTime();
                  NDArray y;
                  if (k == 0) {
                    y = x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
                    y.getFloat(0, 0);
                  } else {
                    try (IValue out = mod.run(method, call)) {
                      y = out.toTensor((PtNDManager) sm);
                    }
                    y.getFloat(0, 0);
                  }
                  double sec = (System.nanoTime() - t0) / 1e9;
                  if (i >= 3) {
                    times.get(k).add(sec);
                  }
                  if (i == 0) {
                    diff[k] = y.sub(ref).abs().max().getFloat() / refMax;
                  }
                }
              }
            }
            double flops = 2.0 * s[0] * s[1] * s[2];
            flopsTotal += flops;
            for (int k = 0; k < KINDS.length; k++) {
              if (times.get(k).isEmpty()) {
                System.out.println(
                    BenchSupport.fmt(
                        "linear (%d x %d) x (%d x %d)^T %s: unavailable (%s)",
                        s[0],
                        s[1],
                        s[2],
                        s[1],
                        KINDS[k],
                        KINDS[k].equals("fp32-mkl-packed") ? mklPackError : packError));
                totalMs[k] = Double.NaN;
                continue;
              }
              double med = BenchSupport.median(times.get(k));
              totalMs[k] += med * 1e3;
              System.out.println(
                  BenchSupport.fmt(
                      "linear (%d x %d) x (%d x %d)^T %s: median %.3f ms (min %.3f), %.1f GFLOP/s,"
                          + " max |diff vs fp32| / max |y| = %.1e",
                      s[0],
                      s[1],
                      s[2],
                      s[1],
                      KINDS[k],
                      med * 1e3,
                      times.get(k).stream().mapToDouble(Double::doubleValue).min().orElse(0) * 1e3,
                      flops / med / 1e9,
                      diff[k]));
            }
          } finally {
            for (IValue v :
                new IValue[] {xi, wi, bi, packed, wb, bb, wbPacked, mklPacked, batchValue}) {
              if (v != null) {
                v.close();
              }
            }
          }
        }
      }
    }
    for (int k = 0; k < KINDS.length; k++) {
      System.out.println(
          BenchSupport.fmt(
              "sum of the four shapes' medians %s: %.3f ms, %.1f GFLOP/s, %.3f x fp32",
              KINDS[k], totalMs[k], flopsTotal / totalMs[k] / 1e6, totalMs[k] / totalMs[0]));
    }
    System.out.println("load: " + BenchSupport.load());
  }
}
