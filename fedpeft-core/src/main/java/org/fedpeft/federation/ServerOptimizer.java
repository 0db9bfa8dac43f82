package org.fedpeft.federation;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.fedpeft.tensor.HostTensor;

/**
 * How the server moves the global tensors towards the round's aggregate (Reddi et al. 2021,
 * "Adaptive Federated Optimization", arXiv 2003.00295, Algorithm 2).
 *
 * <p>Per tensor with a target y (the aggregate) and current value x, the pseudo-gradient is {@code
 * delta = y - x}; element-wise, with server learning rate eta:
 *
 * <pre>
 *   FEDAVG     x' = x + eta delta                                  (eta = 1: x' = y exactly)
 *   FEDAVGM    m  = beta1 m + delta;              x' = x + eta m   (Hsu et al. 2019, 1909.06335)
 *   FEDADAGRAD m  = beta1 m + (1 - beta1) delta;  v = v + delta^2
 *   FEDADAM    m  = beta1 m + (1 - beta1) delta;  v = beta2 v + (1 - beta2) delta^2
 *   FEDYOGI    m  = beta1 m + (1 - beta1) delta;  v = v - (1 - beta2) delta^2 sign(v - delta^2)
 *   (adaptive) x' = x + eta m / (sqrt(v) + tau)
 * </pre>
 *
 * <p>As in the paper: m starts at 0, v at tau^2 (the paper's {@code v_{-1} >= tau^2}), and there is
 * no bias correction (some implementations, such as recent Flower versions, add one; this class
 * follows the paper). A tensor without a target this round (no client sent it) is left alone: its
 * value and its moments do not change.
 *
 * <p>State lives in the server state as strategy tensors {@code opt/m/<name>} and {@code
 * opt/v/<name>} (float32), created when a tensor is first updated. Arithmetic runs in double from
 * the stored float values and is rounded to float when stored, so a resumed run reads exactly what
 * an uninterrupted one reads.
 *
 * @param kind the rule
 * @param learningRate eta, positive
 * @param beta1 momentum (FEDAVGM) or first-moment decay, in [0, 1); unused by FEDAVG
 * @param beta2 second-moment decay, in [0, 1); used by FEDADAM and FEDYOGI
 * @param tau adaptivity (epsilon), positive; used by the adaptive rules
 */
public record ServerOptimizer(
    Kind kind, double learningRate, double beta1, double beta2, double tau) {

  /** The server update rules. */
  public enum Kind {
    /** Plain FedAvg: move by eta times the pseudo-gradient. */
    FEDAVG,
    /** FedAvg with server momentum. */
    FEDAVGM,
    /** Adagrad on the pseudo-gradient. */
    FEDADAGRAD,
    /** Adam on the pseudo-gradient. */
    FEDADAM,
    /** Yogi on the pseudo-gradient. */
    FEDYOGI
  }

  /** Strategy-tensor prefix of the first moments. */
  public static final String M_PREFIX = "opt/m/";

  /** Strategy-tensor prefix of the second moments. */
  public static final String V_PREFIX = "opt/v/";

  /** Validates the parameters, naming the one that is wrong. */
  public ServerOptimizer {
    Objects.requireNonNull(kind, "kind");
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException(
          "server optimizer: learning rate must be positive, got " + learningRate);
    }
    if (kind != Kind.FEDAVG && !(beta1 >= 0 && beta1 < 1)) {
      throw new IllegalArgumentException(
          "server optimizer: beta1 (momentum) must be in [0, 1), got " + beta1);
    }
    if ((kind == Kind.FEDADAM || kind == Kind.FEDYOGI) && !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("server optimizer: beta2 must be in [0, 1), got " + beta2);
    }
    if (isAdaptive(kind) && (!(tau > 0) || !Double.isFinite(tau))) {
      throw new IllegalArgumentException("server optimizer: tau must be positive, got " + tau);
    }
  }

  /** FedAvg with server learning rate 1: the new global tensor is the aggregate. */
  public static ServerOptimizer fedAvg() {
    return new ServerOptimizer(Kind.FEDAVG, 1.0, 0, 0, 0);
  }

  /** FedAvg with a server learning rate. */
  public static ServerOptimizer fedAvg(double learningRate) {
    return new ServerOptimizer(Kind.FEDAVG, learningRate, 0, 0, 0);
  }

  /** FedAvgM. */
  public static ServerOptimizer fedAvgM(double learningRate, double momentum) {
    return new ServerOptimizer(Kind.FEDAVGM, learningRate, momentum, 0, 0);
  }

  /** FedAdagrad. */
  public static ServerOptimizer fedAdagrad(double learningRate, double beta1, double tau) {
    return new ServerOptimizer(Kind.FEDADAGRAD, learningRate, beta1, 0, tau);
  }

  /** FedAdam (the paper's defaults: beta1 0.9, beta2 0.99, tau 1e-3). */
  public static ServerOptimizer fedAdam(
      double learningRate, double beta1, double beta2, double tau) {
    return new ServerOptimizer(Kind.FEDADAM, learningRate, beta1, beta2, tau);
  }

  /** FedYogi (the paper's defaults: beta1 0.9, beta2 0.99, tau 1e-3). */
  public static ServerOptimizer fedYogi(
      double learningRate, double beta1, double beta2, double tau) {
    return new ServerOptimizer(Kind.FEDYOGI, learningRate, beta1, beta2, tau);
  }

  private static boolean isAdaptive(Kind kind) {
    return kind == Kind.FEDADAGRAD || kind == Kind.FEDADAM || kind == Kind.FEDYOGI;
  }

  /** True for plain FedAvg with learning rate 1, where the new value is the aggregate itself. */
  public boolean isIdentity() {
    return kind == Kind.FEDAVG && learningRate == 1.0;
  }

  /** A short description, e.g. {@code fedadam(lr=0.01, beta1=0.9, beta2=0.99, tau=0.001)}. */
  public String describe() {
    String name = kind.name().toLowerCase(Locale.ROOT);
    return switch (kind) {
      case FEDAVG -> name + "(lr=" + learningRate + ")";
      case FEDAVGM -> name + "(lr=" + learningRate + ", momentum=" + beta1 + ")";
      case FEDADAGRAD -> name + "(lr=" + learningRate + ", beta1=" + beta1 + ", tau=" + tau + ")";
      case FEDADAM, FEDYOGI ->
          name
              + "(lr="
              + learningRate
              + ", beta1="
              + beta1
              + ", beta2="
              + beta2
              + ", tau="
              + tau
              + ")";
    };
  }

  /**
   * Applies one step to every tensor that has a target, writing new values and moments into {@code
   * next}.
   *
   * @param previous the state before the round (current values and moments)
   * @param targets the aggregate per tensor (only tensors with a target)
   * @param next the state being built
   * @throws IllegalArgumentException if a target names no global tensor or has another shape
   */
  public void apply(
      ServerState previous, Map<String, HostTensor> targets, ServerState.Builder next) {
    for (Map.Entry<String, HostTensor> e : targets.entrySet()) {
      String name = e.getKey();
      HostTensor x = previous.global().get(name);
      if (x == null) {
        throw new IllegalArgumentException(
            "aggregate names an unknown global tensor '" + name + "'");
      }
      HostTensor y = e.getValue();
      requireShape(name, "aggregate", y, x.shape());
      next.putGlobal(name, step(name, x, y, previous, next));
    }
  }

  private HostTensor step(
      String name, HostTensor x, HostTensor y, ServerState previous, ServerState.Builder next) {
    float[] xs = x.data();
    float[] ys = y.data();
    int n = xs.length;
    float[] out = new float[n];
    if (isIdentity()) {
      return new HostTensor(x.shape().clone(), ys.clone());
    }
    if (kind == Kind.FEDAVG) {
      for (int i = 0; i < n; i++) {
        out[i] = (float) (xs[i] + learningRate * ((double) ys[i] - xs[i]));
      }
      return new HostTensor(x.shape().clone(), out);
    }
    float[] m0 = moment(previous, M_PREFIX + name, x.shape(), 0f);
    float[] m1 = new float[n];
    if (kind == Kind.FEDAVGM) {
      for (int i = 0; i < n; i++) {
        double delta = (double) ys[i] - xs[i];
        double m = beta1 * m0[i] + delta;
        m1[i] = (float) m;
        out[i] = (float) (xs[i] + learningRate * m);
      }
      next.putStrategyTensor(M_PREFIX + name, new HostTensor(x.shape().clone(), m1));
      return new HostTensor(x.shape().clone(), out);
    }
    float[] v0 = moment(previous, V_PREFIX + name, x.shape(), (float) (tau * tau));
    float[] v1 = new float[n];
    for (int i = 0; i < n; i++) {
      double delta = (double) ys[i] - xs[i];
      double d2 = delta * delta;
      double m = beta1 * m0[i] + (1 - beta1) * delta;
      double v =
          switch (kind) {
            case FEDADAGRAD -> v0[i] + d2;
            case FEDADAM -> beta2 * v0[i] + (1 - beta2) * d2;
            case FEDYOGI -> v0[i] - (1 - beta2) * d2 * Math.signum(v0[i] - d2);
            default -> throw new IllegalStateException("not adaptive: " + kind);
          };
      m1[i] = (float) m;
      v1[i] = (float) v;
      out[i] = (float) (xs[i] + learningRate * m / (Math.sqrt(v) + tau));
    }
    next.putStrategyTensor(M_PREFIX + name, new HostTensor(x.shape().clone(), m1));
    next.putStrategyTensor(V_PREFIX + name, new HostTensor(x.shape().clone(), v1));
    return new HostTensor(x.shape().clone(), out);
  }

  private static float[] moment(ServerState state, String key, long[] shape, float init) {
    HostTensor t = state.strategyTensors().get(key);
    if (t == null) {
      float[] a = new float[Math.toIntExact(HostTensor.numel(shape))];
      Arrays.fill(a, init);
      return a;
    }
    requireShape(key, "server optimizer state", t, shape);
    return t.data();
  }

  private static void requireShape(String name, String what, HostTensor t, long[] shape) {
    if (!Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException(
          what
              + " '"
              + name
              + "' has shape "
              + Wire.shape(t.shape())
              + " but the global tensor has shape "
              + Wire.shape(shape));
    }
  }
}
