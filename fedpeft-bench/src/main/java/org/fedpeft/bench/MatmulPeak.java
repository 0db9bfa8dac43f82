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
 * The engine's matrix-product rates on square matrices, median time of repeated products at a few
 * sizes, 2 n^3 FLOPs each; the best size is the peak. Three kinds:
 *
 * <ul>
 *   <li>{@code fp32}: {@code a.matMul(b)} through DJL, i.e. libtorch's {@code mm} (MKL's sgemm in
 *       the libtorch build DJL uses);
 *   <li>{@code fp32-onednn}: the same product through oneDNN, {@code mkldnn::_linear_pointwise}
 *       called in a TorchScript module (dense fp32 inputs, no prepacking);
 *   <li>{@code bf16}: {@code torch.mm} of two bfloat16 tensors (oneDNN; fp32 accumulation, bf16
 *       output). DJL cannot hold bfloat16 arrays, so they are made and kept inside libtorch as
 *       TorchScript values ({@link IValue}), never converted to DJL arrays.
 * </ul>
 *
 * A kind that libtorch cannot run here is reported as unavailable, with the error.
 */
final class MatmulPeak {

  private static final int[] SIZES = {1024, 2048, 3072};

  private static final String NAME = "FedpeftMatmulPeak";
  private static final String SELF = "self: __torch__." + NAME;
  private static final String BODY =
      "  def to_bf16("
          + SELF
          + ", a: Tensor) -> Tensor:\n"
          + "    return a.to(15)  # 15: torch.bfloat16\n"
          + "  def mm("
          + SELF
          + ", a: Tensor, b: Tensor) -> Tensor:\n"
          + "    c = torch.mm(a, b)\n"
          + "    return c[0:1, 0:1].float()\n"
          + "  def onednn("
          + SELF
          + ", a: Tensor, b: Tensor) -> Tensor:\n"
          + "    c = ops.mkldnn._linear_pointwise(a, b, None, \"none\","
          + " annotate(List[Optional[number]], []), \"\")\n"
          + "    return c[0:1, 0:1]\n";

  private MatmulPeak() {}

  /** One kind's result: best size and its GFLOP/s, or NaN with the reason. */
  record Peak(String kind, int n, double gflops, String error) {
    String line() {
      return error == null
          ? BenchSupport.fmt("matmul peak %s: %.1f GFLOP/s (n=%d)", kind, gflops, n)
          : "matmul peak " + kind + ": unavailable (" + error + ")";
    }
  }

  /** The kinds measured, in the order they are printed. */
  static final List<String> KINDS = List.of("fp32", "fp32-onednn", "bf16");

  /**
   * The peaks of all kinds, printing each size's figure. At each size the kinds alternate product
   * by product (rotating which goes first), so load on a shared machine hits them alike.
   */
  static List<Peak> measureAll(int reps) {
    int k = KINDS.size();
    double[] best = new double[k];
    int[] bestN = new int[k];
    String[] error = new String[k];
    try (NDManager m = Engines.pytorch().newBaseManager();
        TorchScriptModule module = TorchScriptModule.load(m, NAME, BODY)) {
      for (int n : SIZES) {
        try (NDManager sm = m.newSubManager()) {
          NDArray a = sm.randomUniform(-1, 1, new Shape(n, n));
          NDArray b = sm.randomUniform(-1, 1, new Shape(n, n));
          Operands[] ops = new Operands[k];
          try {
            for (int j = 0; j < k; j++) {
              if (error[j] == null) {
                try {
                  ops[j] = Operands.prepare(KINDS.get(j), module, a, b);
                } catch (RuntimeException e) {
                  error[j] = e.getClass().getSimpleName() + ": " + firstLine(e);
                }
              }
            }
            List<List<Double>> times = new ArrayList<>();
            for (int j = 0; j < k; j++) {
              times.add(new ArrayList<>());
            }
            for (int i = 0; i < reps + 2; i++) {
              for (int r = 0; r < k; r++) {
                int j = (i + r) % k;
                if (ops[j] == null) {
                  continue;
                }
                try {
                  double s = ops[j].time(module, a, b, sm);
                  if (i >= 2) {
                    times.get(j).add(s);
                  }
                } catch (RuntimeException e) {
                  error[j] = e.getClass().getSimpleName() + ": " + firstLine(e);
                  ops[j].close();
                  ops[j] = null;
                }
              }
            }
            for (int j = 0; j < k; j++) {
              if (error[j] != null || times.get(j).isEmpty()) {
                continue;
              }
              double gflops = 2.0 * n * n * n / BenchSupport.median(times.get(j)) / 1e9;
              System.out.println(
                  BenchSupport.fmt(
                      "matmul %dx%d %s: %s, %.1f GFLOP/s",
                      n, n, KINDS.get(j), BenchSupport.summary(times.get(j)), gflops));
              if (gflops > best[j]) {
                best[j] = gflops;
                bestN[j] = n;
              }
            }
          } finally {
            for (Operands o : ops) {
              if (o != null) {
                o.close();
              }
            }
          }
        }
      }
    }
    List<Peak> out = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      out.add(
          error[j] != null
              ? new Peak(KINDS.get(j), 0, Double.NaN, error[j])
              : new Peak(KINDS.get(j), bestN[j], best[j], null));
    }
    return out;
  }

  /** One kind's operands at one size: libtorch values for the scripted kinds. */
  private record Operands(String kind, IValue a, IValue b) implements AutoCloseable {

    static Operands prepare(String kind, TorchScriptModule module, NDArray a, NDArray b) {
      switch (kind) {
        case "fp32":
          return new Operands(kind, null, null);
        case "fp32-onednn":
          // _linear_pointwise computes a w^T: pass b^T, laid out as a (out, in) weight.
          return new Operands(
              kind, IValue.from((PtNDArray) a), IValue.from((PtNDArray) b.transpose().duplicate()));
        case "bf16":
          try (IValue fa = IValue.from((PtNDArray) a);
              IValue fb = IValue.from((PtNDArray) b)) {
            IValue ba = module.run("to_bf16", fa);
            try {
              return new Operands(kind, ba, module.run("to_bf16", fb));
            } catch (RuntimeException e) {
              ba.close();
              throw e;
            }
          }
        default:
          throw new IllegalArgumentException("unknown kind " + kind);
      }
    }

    /** Seconds for one product. */
    double time(TorchScriptModule module, NDArray fa, NDArray fb, NDManager m) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        long t0 = System.nanoTime();
        if (kind.equals("fp32")) {
          fa.matMul(fb).getFloat(0, 0); // CPU ops are synchronous; this also touches the result
        } else {
          try (IValue c = module.run(kind.equals("bf16") ? "mm" : "onednn", a, b)) {
            c.toTensor((PtNDManager) m).getFloat(0, 0);
          }
        }
        return (System.nanoTime() - t0) / 1e9;
      }
    }

    @Override
    public void close() {
      if (a != null) {
        a.close();
      }
      if (b != null) {
        b.close();
      }
    }
  }

  private static String firstLine(Throwable e) {
    String s = String.valueOf(e.getMessage());
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  public static void main(String[] args) {
    int reps = BenchSupport.Args.of(args, 0, 1, "MatmulPeak [REPS]").count(0, "REPS", 10);
    System.out.println(MachineInfo.describe());
    System.out.println("load: " + BenchSupport.load());
    for (Peak p : measureAll(reps)) {
      System.out.println(p.line());
    }
    System.out.println(PageTouch.measure(6));
    System.out.println("load: " + BenchSupport.load());
  }
}
