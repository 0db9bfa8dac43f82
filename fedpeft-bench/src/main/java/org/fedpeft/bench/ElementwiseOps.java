package org.fedpeft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.TorchScriptModule;

/**
 * Time per call of the element-wise operators of a 16 x 128-token training step (MiniLM shapes), in
 * float32 and bfloat16, each repeated on the same operands inside one TorchScript call: what these
 * operators cost when their operands are in cache and their outputs reuse memory just freed, to set
 * against their times inside a step ({@code profile.sh ... bf16 0}). The last line copies 6.3 MB
 * (one bfloat16 score or intermediate tensor) from 16 rotating sources, i.e. from DRAM.
 *
 * <p>Run it also with {@code MALLOC_MMAP_THRESHOLD_=65536}: glibc then maps every output afresh, so
 * the difference is what writing into new pages (page faults) costs per call.
 *
 * <p>Usage: {@code ElementwiseOps [REPS]}
 */
public final class ElementwiseOps {

  private static final String SELF = "self: __torch__.FedpeftElementwise";
  private static final int BF16 = 15; // torch.bfloat16 as a ScalarType number

  /** A method that evaluates {@code expr} n times and returns one element of the last result. */
  private static String repeat(String name, String params, String expr) {
    return "  def %s(%s, %s, n: int) -> Tensor:\n".formatted(name, SELF, params)
        + "    y = %s\n".formatted(expr)
        + "    for _ in range(n - 1):\n"
        + "      y = %s\n".formatted(expr)
        + "    return y.flatten()[0:1].float()\n";
  }

  private static final String BODY =
      "  def bf16(%s, a: Tensor) -> Tensor:\n    return a.to(%d)\n".formatted(SELF, BF16)
          + repeat("softmax", "a: Tensor", "torch.softmax(a, -1)")
          + repeat(
              "softmax_bwd",
              "g: Tensor, o: Tensor",
              "torch._softmax_backward_data(g, o, -1, o.dtype)")
          + repeat("gelu", "a: Tensor", "torch.gelu(a)")
          + repeat("gelu_bwd", "g: Tensor, a: Tensor", "torch.gelu_backward(g, a)")
          + repeat("to_bf16", "a: Tensor", "a.to(%d)".formatted(BF16))
          + repeat("to_fp32", "a: Tensor", "a.float()")
          + repeat("add", "a: Tensor, b: Tensor", "a + b")
          + repeat(
              "layer_norm",
              "a: Tensor, w: Tensor, b: Tensor",
              "torch.layer_norm(a, [a.size(-1)], w, b, 1e-12)")
          + "  def sources(%s, k: int) -> List[Tensor]:\n".formatted(SELF)
          + "    r: List[Tensor] = []\n"
          + "    for _ in range(k):\n"
          + "      r.append(torch.randn([3145728]).to(%d))\n".formatted(BF16)
          + "    return r\n"
          + "  def copies(%s, src: List[Tensor], n: int) -> Tensor:\n".formatted(SELF)
          + "    y = src[0].clone()\n"
          + "    for j in range(n - 1):\n"
          + "      y = src[(j + 1) % len(src)].clone()\n"
          + "    return y.flatten()[0:1].float()\n";

  private record Case(String label, String method, IValue... operands) {}

  public static void main(String[] args) {
    int reps = BenchSupport.Args.of(args, 0, 1, "ElementwiseOps [REPS]").count(0, "REPS", 9);
    int n = 10;
    System.out.println(MachineInfo.describe());
    System.out.println("load: " + BenchSupport.load());
    System.out.println("MALLOC_MMAP_THRESHOLD_=" + System.getenv("MALLOC_MMAP_THRESHOLD_"));
    try (NDManager m = Engines.pytorch().newBaseManager();
        TorchScriptModule mod = TorchScriptModule.load(m, "FedpeftElementwise", BODY)) {
      IValue[] scores = both(mod, m.randomNormal(new Shape(16, 12, 128, 128)));
      IValue[] inter = both(mod, m.randomNormal(new Shape(2048, 1536)));
      IValue[] hidden = both(mod, m.randomNormal(new Shape(2048, 384)));
      IValue[] other = both(mod, m.randomNormal(new Shape(2048, 384)));
      IValue[] lnWeight = both(mod, m.randomNormal(new Shape(384)));
      IValue[] lnBias = both(mod, m.randomNormal(new Shape(384)));
      List<Case> cases = new ArrayList<>();
      String[] names = {"fp32", "bf16"};
      for (int p = 0; p < 2; p++) {
        String t = names[p];
        cases.add(new Case(t + " softmax (16,12,128,128)", "softmax", scores[p]));
        cases.add(new Case(t + " softmax backward", "softmax_bwd", scores[p], scores[p]));
        cases.add(new Case(t + " gelu (2048,1536)", "gelu", inter[p]));
        cases.add(new Case(t + " gelu backward", "gelu_bwd", inter[p], inter[p]));
        cases.add(new Case(t + " add (2048,384)", "add", hidden[p], other[p]));
        cases.add(
            new Case(
                t + " layer_norm (2048,384)", "layer_norm", hidden[p], lnWeight[p], lnBias[p]));
      }
      cases.add(new Case("cast fp32 -> bf16 (2048,384)", "to_bf16", hidden[0]));
      cases.add(new Case("cast bf16 -> fp32 (2048,384)", "to_fp32", hidden[1]));
      IValue sourceList = mod.run("sources", IValue.from(16L));
      cases.add(new Case("copy of 6.3 MB from DRAM", "copies", sourceList));
      IValue count = IValue.from((long) n);
      List<List<Double>> times = new ArrayList<>();
      for (int c = 0; c < cases.size(); c++) {
        times.add(new ArrayList<>());
      }
      for (int r = 0; r < reps + 1; r++) { // alternating; the first round warms up
        for (int c = 0; c < cases.size(); c++) {
          Case k = cases.get(c);
          IValue[] in = new IValue[k.operands().length + 1];
          System.arraycopy(k.operands(), 0, in, 0, k.operands().length);
          in[in.length - 1] = count;
          long t0 = System.nanoTime();
          mod.run(k.method(), in).close();
          if (r > 0) {
            times.get(c).add((System.nanoTime() - t0) / 1e6 / n);
          }
        }
      }
      for (int c = 0; c < cases.size(); c++) {
        System.out.printf(
            "%-34s %.3f ms per call (median of %d)%n",
            cases.get(c).label(), BenchSupport.median(times.get(c)), reps);
      }
    }
  }

  /** The float32 array and its bfloat16 copy (inside libtorch). */
  private static IValue[] both(TorchScriptModule mod, NDArray a) {
    IValue f = IValue.from((PtNDArray) a);
    return new IValue[] {f, mod.run("bf16", f)};
  }
}
