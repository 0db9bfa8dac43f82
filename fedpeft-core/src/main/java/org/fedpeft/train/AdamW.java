package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.tensor.HostTensor;

/**
 * AdamW (Loshchilov and Hutter 2019, arXiv 1711.05101), as torch.optim.AdamW: {@code p -= lr * wd *
 * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 -
 * b2^t)) + eps)}. Weight decay is skipped for tensors whose name ends in {@code bias}. The moments
 * are state: they can be saved and restored for an exact resume.
 */
public final class AdamW implements AutoCloseable {

  private final float beta1;
  private final float beta2;
  private final float eps;
  private final NDManager manager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long t;

  public AdamW(NDManager parent) {
    this(parent, 0.9f, 0.999f, 1e-8f);
  }

  public AdamW(NDManager parent, float beta1, float beta2, float eps) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.manager = parent.newSubManager();
  }

  /**
   * Updates every tensor in place from its gradient times {@code gradScale}. Call with gradient
   * mode off (outside a gradient collector).
   */
  public void step(List<AdapterTensor> params, float lr, float weightDecay, float gradScale) {
    step(params, p -> p.array().getGradient(), lr, weightDecay, gradScale);
  }

  /**
   * Like {@link #step(List, float, float, float)} with gradients from {@code gradients} (e.g. the
   * clipped, noised gradients of DP-SGD) instead of the tensors' autograd buffers.
   */
  public void step(
      List<AdapterTensor> params,
      java.util.function.Function<AdapterTensor, NDArray> gradients,
      float lr,
      float weightDecay,
      float gradScale) {
    step(params, gradients, p -> lr, weightDecay, gradScale);
  }

  /**
   * Like {@link #step(List, java.util.function.Function, float, float, float)} with a learning rate
   * per tensor ({@code lrOf}, e.g. the head's own): one step of the count, tensors of equal rate
   * updated together.
   */
  public void step(
      List<AdapterTensor> params,
      java.util.function.Function<AdapterTensor, NDArray> gradients,
      java.util.function.ToDoubleFunction<AdapterTensor> lrOf,
      float weightDecay,
      float gradScale) {
    t++;
    Map<Float, List<AdapterTensor>> byRate = new LinkedHashMap<>();
    for (AdapterTensor p : params) {
      byRate.computeIfAbsent((float) lrOf.applyAsDouble(p), k -> new ArrayList<>()).add(p);
    }
    for (Map.Entry<Float, List<AdapterTensor>> e : byRate.entrySet()) {
      update(e.getValue(), gradients, e.getKey(), weightDecay, gradScale);
    }
  }

  private void update(
      List<AdapterTensor> params,
      java.util.function.Function<AdapterTensor, NDArray> gradients,
      float lr,
      float weightDecay,
      float gradScale) {
    float bc1 = (float) (1 - Math.pow(beta1, t));
    float bc2 = (float) (1 - Math.pow(beta2, t));
    int n = params.size();
    if (n == 0) {
      return;
    }
    List<NDArray> ws = new ArrayList<>(n);
    List<NDArray> gs = new ArrayList<>(n);
    List<NDArray> ms = new ArrayList<>(n);
    List<NDArray> vs = new ArrayList<>(n);
    boolean[] decay = new boolean[n];
    for (int i = 0; i < n; i++) {
      AdapterTensor p = params.get(i);
      NDArray w = p.array();
      ws.add(w);
      gs.add(gradients.apply(p));
      ms.add(m.computeIfAbsent(p.name(), k -> persistent(manager.zeros(w.getShape()))));
      vs.add(v.computeIfAbsent(p.name(), k -> persistent(manager.zeros(w.getShape()))));
      decay[i] = weightDecay > 0 && !p.name().endsWith("bias");
    }
    // Per tensor, in one TorchScript call: if gradScale != 1, g = g * gradScale; if decayed,
    // w *= 1 - lr * wd; m = m * b1 + g * (1 - b1); v = v * b2 + g^2 * (1 - b2);
    // w -= m / (sqrt(v / bc2) + eps) * (lr / bc1).
    ScriptedOptimizerOps.adamw(
        ws,
        gs,
        ms,
        vs,
        decay,
        gradScale,
        1 - lr * weightDecay,
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        bc2,
        eps,
        lr / bc1);
  }

  /** Moments and step count as heap tensors: {@code m/NAME}, {@code v/NAME}, {@code t}. */
  public Map<String, HostTensor> state() {
    Map<String, HostTensor> s = new LinkedHashMap<>();
    s.put("t", new HostTensor(new long[0], new float[] {t}));
    m.forEach((k, a) -> s.put("m/" + k, Adapter.Tensors.toHost(a)));
    v.forEach((k, a) -> s.put("v/" + k, Adapter.Tensors.toHost(a)));
    return s;
  }

  /** Restores what {@link #state()} returned. */
  public void loadState(Map<String, HostTensor> s) {
    m.values().forEach(NDArray::close);
    v.values().forEach(NDArray::close);
    m.clear();
    v.clear();
    for (var e : s.entrySet()) {
      String k = e.getKey();
      HostTensor h = e.getValue();
      if (k.equals("t")) {
        t = (long) h.data()[0];
      } else if (k.startsWith("m/")) {
        m.put(k.substring(2), persistent(manager.create(h.data(), new Shape(h.shape()))));
      } else if (k.startsWith("v/")) {
        v.put(k.substring(2), persistent(manager.create(h.data(), new Shape(h.shape()))));
      } else {
        throw new IllegalArgumentException("AdamW state: unknown entry " + k);
      }
    }
  }

  /** Keeps an array alive past the NDScope of the step that created it. */
  private static NDArray persistent(NDArray a) {
    NDScope.unregister(a);
    return a;
  }

  @Override
  public void close() {
    manager.close();
  }
}
