package org.fedpeft.client;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.federation.LoraNames;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertWeights;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.FrozenBase;

/**
 * Builds short-lived models (adapter + head) on the shared frozen base from a set of received
 * tensors. Adapters are initialised from the run seed, so frozen parts (FFA-LoRA's A) are the same
 * on every client and on the server. Tensors named {@code <module>.residual} (FedEx-LoRA) are added
 * to that module's frozen weight while instances live; when the last one closes, the pretrained
 * weight is restored exactly. Safe to use from several threads at once (clients training in
 * parallel).
 */
public final class ModelFactory {

  private final FrozenBase base;
  private final ModelSpec spec;
  private final Map<String, float[]> pretrained = new HashMap<>();
  private Map<String, HostTensor> applied = Map.of(); // residuals now added to the frozen weights
  private int live; // instances alive (they share the applied residuals)

  /**
   * @param base the shared frozen model
   * @param spec what to build on it
   */
  public ModelFactory(FrozenBase base, ModelSpec spec) {
    this.base = base;
    this.spec = spec;
  }

  /** The shared frozen model. */
  public FrozenBase base() {
    return base;
  }

  /** What this factory builds. */
  public ModelSpec spec() {
    return spec;
  }

  /**
   * A model holding the received tensors; close it when done. Every name must be a GLOBAL tensor of
   * the model (or a FedEx-LoRA residual): a downlink never carries LOCAL, ROUND or FROZEN_SHARED
   * tensors.
   *
   * @throws IllegalArgumentException naming a tensor that is unknown, of the wrong shape or not
   *     GLOBAL
   */
  public synchronized Instance instantiate(Map<String, HostTensor> tensors) {
    Adapter adapter =
        spec.method() == null
            ? null
            : AdapterRegistry.get(spec.method())
                .create(spec.options(), base.encoder(), spec.adapterSeed());
    ClassificationHead head =
        new ClassificationHead(
            base.root(), base.encoder().config().hiddenSize(), spec.head(), spec.headSeed());
    Map<String, HostTensor> plain = new LinkedHashMap<>();
    Map<String, HostTensor> residuals = new LinkedHashMap<>();
    tensors.forEach(
        (k, v) -> (k.endsWith(LoraNames.RESIDUAL_SUFFIX) ? residuals : plain).put(k, v));
    ClassifierModel model = new ClassifierModel(base.encoder(), adapter, head);
    for (AdapterTensor t : model.tensors()) {
      if (plain.containsKey(t.name()) && t.role() != Role.GLOBAL) {
        if (adapter != null) {
          adapter.close();
        }
        head.close();
        throw new IllegalArgumentException(
            "received tensor "
                + t.name()
                + " is "
                + t.role()
                + " in this model; only GLOBAL tensors travel between server and client");
      }
    }
    Map<String, HostTensor> padded = padLowerRanks(model, plain);
    model.loadState(padded);
    applyResiduals(residuals);
    return new Instance(model, adapter, head, padded, this);
  }

  /**
   * The received tensors with every LoRA factor that came at a lower rank than the model's (the
   * rank-heterogeneous strategies send a client only the components it trains) zero-padded to the
   * model's rank; everything else as received.
   */
  private static Map<String, HostTensor> padLowerRanks(
      ClassifierModel model, Map<String, HostTensor> received) {
    Map<String, HostTensor> out = new LinkedHashMap<>(received);
    for (AdapterTensor t : model.tensors()) {
      HostTensor r = out.get(t.name());
      boolean isA = LoraNames.isA(t.name());
      if (r == null || !(isA || LoraNames.isB(t.name())) || r.shape().length != 2) {
        continue;
      }
      long[] own = t.array().getShape().getShape();
      int rankDim = isA ? 0 : 1;
      if (own.length == 2
          && r.shape()[1 - rankDim] == own[1 - rankDim]
          && r.shape()[rankDim] >= 1
          && r.shape()[rankDim] < own[rankDim]) {
        out.put(t.name(), LoraNames.withRank(r, isA, (int) own[rankDim]));
      }
    }
    return out;
  }

  private NDArray weightOf(String module) {
    // module: encoder.layer.L.<path>
    String[] parts = module.split("\\.", 4);
    if (parts.length != 4 || !parts[0].equals("encoder") || !parts[1].equals("layer")) {
      throw new IllegalArgumentException("not a linear module name: " + module);
    }
    int layer = Integer.parseInt(parts[2]);
    int m = BertWeights.LINEAR_MODULES.indexOf(parts[3]);
    if (m < 0) {
      throw new IllegalArgumentException("not a linear module name: " + module);
    }
    base.encoder().requireFloat32Weights("adding FedEx-LoRA's residual to " + module);
    return base.encoder().linearWeight(layer, m);
  }

  /**
   * Adds the residuals to the frozen weights, or checks they equal those already added: clients
   * that train at the same time share the frozen model, so they must all carry the same residuals
   * (FedEx-LoRA sends every client of a round the same ones). The weights go back to the pretrained
   * ones when the last live instance closes.
   */
  private void applyResiduals(Map<String, HostTensor> residuals) {
    if (live > 0) {
      if (!sameResiduals(applied, residuals)) {
        throw new IllegalStateException(
            "models alive at the same time must carry the same residual tensors (FedEx-LoRA);"
                + " got different ones");
      }
      live++;
      return;
    }
    for (var e : residuals.entrySet()) {
      String module =
          e.getKey().substring(0, e.getKey().length() - LoraNames.RESIDUAL_SUFFIX.length());
      NDArray w = weightOf(module);
      float[] w0 = pretrained.computeIfAbsent(module, k -> w.toFloatArray());
      float[] r = e.getValue().data();
      if (r.length != w0.length) {
        throw new IllegalArgumentException(
            e.getKey() + " has " + r.length + " values, the weight " + w0.length);
      }
      float[] sum = new float[w0.length];
      for (int i = 0; i < sum.length; i++) {
        sum[i] = w0[i] + r[i];
      }
      Adapter.Tensors.assign(w, sum);
    }
    applied = residuals;
    live = 1;
  }

  private static boolean sameResiduals(Map<String, HostTensor> a, Map<String, HostTensor> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (var e : a.entrySet()) {
      HostTensor other = b.get(e.getKey());
      if (!Arrays.equals(e.getValue().shape(), other.shape())
          || !Arrays.equals(e.getValue().data(), other.data())) {
        return false;
      }
    }
    return true;
  }

  private synchronized void release() {
    if (--live > 0) {
      return;
    }
    for (String name : applied.keySet()) {
      String module = name.substring(0, name.length() - LoraNames.RESIDUAL_SUFFIX.length());
      Adapter.Tensors.assign(weightOf(module), pretrained.get(module));
    }
    applied = Map.of();
  }

  /** A live model; closing frees it and restores any frozen weight a residual changed. */
  public static final class Instance implements AutoCloseable {
    private final ClassifierModel model;
    private final Adapter adapter;
    private final ClassificationHead head;
    private final Map<String, HostTensor> received;
    private final ModelFactory owner;

    Instance(
        ClassifierModel model,
        Adapter adapter,
        ClassificationHead head,
        Map<String, HostTensor> received,
        ModelFactory owner) {
      this.model = model;
      this.adapter = adapter;
      this.head = head;
      this.received = received;
      this.owner = owner;
    }

    /** The live model. */
    public ClassifierModel model() {
      return model;
    }

    /** The received (non-residual) tensors, the FedProx reference point. */
    public Map<String, HostTensor> received() {
      return received;
    }

    @Override
    public void close() {
      owner.release();
      if (adapter != null) {
        adapter.close();
      }
      head.close();
    }
  }
}
