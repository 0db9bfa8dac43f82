package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import java.util.List;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.TorchScriptModule;

/**
 * The optimiser's per-tensor work (AdamW update, gradient norms, zeroing gradients) as loops in one
 * TorchScript module, so that a step costs a few JNI calls instead of ~15 DJL operations (each a
 * JNI call, a Java array object, and for Java-number operands a temporary scalar tensor) per
 * trainable tensor. The loops call the same libtorch operators, in the same order and with the same
 * float operands, as the Java code they replace, so the results are bit for bit the same.
 *
 * <p>Scalars travel as TorchScript {@code float} (a double); every one is a Java float widened
 * exactly, and libtorch applies it to float32 tensors as that float, as it does for the 0-dim
 * float32 tensors DJL makes of Java numbers.
 *
 * <p>One module per process, shared by all threads (a TorchScript method may run on several threads
 * at once); it owns no tensors.
 */
final class ScriptedOptimizerOps {

  private static final String NAME = "FedpeftOptimizerOps";
  private static final String SELF = "self: __torch__." + NAME;

  private static final String BODY =
      "  def squared_norms("
          + SELF
          + ",\n"
          + "    grads: List[Tensor]) -> Tensor:\n"
          + "    sums = annotate(List[Tensor], [])\n"
          + "    for g in grads:\n"
          + "      sums.append(torch.sum(torch.square(g)))\n"
          + "    return torch.stack(sums)\n"
          + "  def zero("
          + SELF
          + ",\n"
          + "    grads: List[Tensor]) -> None:\n"
          + "    for g in grads:\n"
          + "      g.sub_(g)\n"
          + "  def adamw("
          + SELF
          + ",\n"
          + "    params: List[Tensor],\n"
          + "    grads: List[Tensor],\n"
          + "    ms: List[Tensor],\n"
          + "    vs: List[Tensor],\n"
          + "    decay: List[bool],\n"
          + "    scale_grads: bool,\n"
          + "    grad_scale: float,\n"
          + "    decay_factor: float,\n"
          + "    beta1: float,\n"
          + "    one_minus_beta1: float,\n"
          + "    beta2: float,\n"
          + "    one_minus_beta2: float,\n"
          + "    bc2: float,\n"
          + "    eps: float,\n"
          + "    step_size: float) -> None:\n"
          + "    for i in range(len(params)):\n"
          + "      w = params[i]\n"
          + "      g = grads[i]\n"
          + "      if scale_grads:\n"
          + "        g = torch.mul(g, grad_scale)\n"
          + "      if decay[i]:\n"
          + "        w.mul_(decay_factor)\n"
          + "      m = ms[i]\n"
          + "      v = vs[i]\n"
          + "      m.mul_(beta1).add_(torch.mul(g, one_minus_beta1))\n"
          + "      v.mul_(beta2).add_(torch.square(g).mul_(one_minus_beta2))\n"
          + "      denom = torch.sqrt(torch.div(v, bc2)).add_(eps)\n"
          + "      w.sub_(torch.div(m, denom).mul_(step_size))\n";

  private static volatile TorchScriptModule module;

  private ScriptedOptimizerOps() {}

  private static TorchScriptModule module() {
    TorchScriptModule m = module;
    if (m == null) {
      synchronized (ScriptedOptimizerOps.class) {
        m = module;
        if (m == null) {
          // Lives as long as the process: the manager is never closed.
          NDManager owner = Engines.pytorch().newBaseManager();
          m = TorchScriptModule.load(owner, NAME, BODY);
          module = m;
        }
      }
    }
    return m;
  }

  /** The sum of squares of each tensor, each summed by libtorch in float32. */
  static float[] squaredNorms(List<NDArray> grads) {
    try (IValue list = list(grads);
        IValue out = module().run("squared_norms", list)) {
      NDManager m = grads.get(0).getManager();
      try (NDArray sums = out.toTensor((PtNDManager) m)) {
        return sums.toFloatArray();
      }
    }
  }

  /** {@code g -= g} for each tensor, in place. */
  static void zero(List<NDArray> grads) {
    try (IValue list = list(grads)) {
      module().run("zero", list).close(); // returns None
    }
  }

  /**
   * One AdamW update in place; see {@link AdamW#step} for the formula and the meaning of the
   * scalars, each computed there as before.
   */
  static void adamw(
      List<NDArray> params,
      List<NDArray> grads,
      List<NDArray> ms,
      List<NDArray> vs,
      boolean[] decay,
      float gradScale,
      float decayFactor,
      float beta1,
      float oneMinusBeta1,
      float beta2,
      float oneMinusBeta2,
      float bc2,
      float eps,
      float stepSize) {
    IValue[] args = {
      list(params),
      list(grads),
      list(ms),
      list(vs),
      IValue.listFrom(decay),
      IValue.from(gradScale != 1f),
      IValue.from((double) gradScale),
      IValue.from((double) decayFactor),
      IValue.from((double) beta1),
      IValue.from((double) oneMinusBeta1),
      IValue.from((double) beta2),
      IValue.from((double) oneMinusBeta2),
      IValue.from((double) bc2),
      IValue.from((double) eps),
      IValue.from((double) stepSize)
    };
    try {
      module().run("adamw", args).close(); // returns None
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }

  private static IValue list(List<NDArray> arrays) {
    PtNDArray[] a = new PtNDArray[arrays.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = (PtNDArray) arrays.get(i);
    }
    return IValue.listFrom(a);
  }
}
