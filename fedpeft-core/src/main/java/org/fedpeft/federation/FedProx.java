package org.fedpeft.federation;

import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;

/**
 * FedProx's proximal term (Li et al. 2020, "Federated Optimization in Heterogeneous Networks",
 * MLSys, arXiv 1812.06127), a client-side option: local training minimises {@code F(w) + (mu / 2)
 * ||w - w_global||^2}, whose gradient adds {@code mu (w - w_global)} to the loss gradient. This
 * pulls each client's tensors towards the round's starting point and limits client drift under
 * non-IID data.
 *
 * <p>The trainer applies this gradient on the engine itself ({@code
 * org.fedpeft.train.LocalTrainer#setProximal}): after the backward pass and before gradient
 * clipping and the optimiser step, {@code mu (w - w_global)} is added to the gradient of every
 * trainable tensor that has a global counterpart (the values received in {@link FitInstructions});
 * tensors without one (LOCAL ones) are left alone. mu arrives in the config under {@link
 * ConfigKeys#PROXIMAL_MU}; {@code mu = 0} is plain local training. The host functions here state
 * the rule on host tensors; no run calls them: they are the reference the trainer's rule is tested
 * against ({@code org.fedpeft.train.FedProxTest}).
 */
public final class FedProx {

  private FedProx() {}

  /**
   * {@code gradient + mu (weight - global)}, element-wise, computed in double and rounded once.
   *
   * @throws IllegalArgumentException if the shapes differ or mu is negative or not finite
   */
  public static HostTensor addProximalGradient(
      HostTensor gradient, HostTensor weight, HostTensor global, double mu) {
    checkMu(mu);
    if (!gradient.sameShape(weight) || !weight.sameShape(global)) {
      throw new IllegalArgumentException(
          "fedprox: shapes differ: gradient "
              + Wire.shape(gradient.shape())
              + ", weight "
              + Wire.shape(weight.shape())
              + ", global "
              + Wire.shape(global.shape()));
    }
    float[] g = gradient.data();
    float[] w = weight.data();
    float[] w0 = global.data();
    float[] out = new float[g.length];
    for (int i = 0; i < g.length; i++) {
      out[i] = (float) (g[i] + mu * ((double) w[i] - w0[i]));
    }
    return new HostTensor(gradient.shape().clone(), out);
  }

  /**
   * {@link #addProximalGradient} for every gradient whose tensor has a global value; other
   * gradients are returned unchanged.
   *
   * @param gradients gradient per tensor name
   * @param weights current value per tensor name (must contain every name of {@code gradients})
   * @param global the round's starting values
   * @param mu the proximal coefficient, at least 0
   * @return the new gradients, in the order of {@code gradients}
   */
  public static Map<String, HostTensor> addProximalGradient(
      Map<String, HostTensor> gradients,
      Map<String, HostTensor> weights,
      Map<String, HostTensor> global,
      double mu) {
    checkMu(mu);
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : gradients.entrySet()) {
      String name = e.getKey();
      HostTensor w0 = global.get(name);
      if (w0 == null) {
        out.put(name, e.getValue());
        continue;
      }
      HostTensor w = weights.get(name);
      if (w == null) {
        throw new IllegalArgumentException("fedprox: no current value for tensor '" + name + "'");
      }
      out.put(name, addProximalGradient(e.getValue(), w, w0, mu));
    }
    return out;
  }

  /**
   * The proximal penalty {@code (mu / 2) sum ||w - w_global||^2} over the tensors present in both
   * maps.
   */
  public static double proximalTerm(
      Map<String, HostTensor> weights, Map<String, HostTensor> global, double mu) {
    checkMu(mu);
    double s = 0;
    for (Map.Entry<String, HostTensor> e : weights.entrySet()) {
      HostTensor w0 = global.get(e.getKey());
      if (w0 == null) {
        continue;
      }
      float[] w = e.getValue().data();
      float[] g = w0.data();
      if (w.length != g.length) {
        throw new IllegalArgumentException("fedprox: shapes differ for '" + e.getKey() + "'");
      }
      for (int i = 0; i < w.length; i++) {
        double d = (double) w[i] - g[i];
        s += d * d;
      }
    }
    return 0.5 * mu * s;
  }

  private static void checkMu(double mu) {
    if (!(mu >= 0) || !Double.isFinite(mu)) {
      throw new IllegalArgumentException("fedprox: mu must be >= 0, got " + mu);
    }
  }
}
