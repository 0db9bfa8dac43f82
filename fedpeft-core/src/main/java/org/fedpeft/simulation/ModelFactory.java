package org.fedpeft.simulation;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertWeights;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.FrozenBase;

/**
 * Builds short-lived models (adapter + head) on the shared frozen base from a set of received
 * tensors. Adapters are initialised from the run seed, so frozen parts (FFA-LoRA's A) are the same
 * on every client and on the server. Tensors named {@code <module>.residual} (FedEx-LoRA) are added
 * to that module's frozen weight while the instance lives; closing restores the pretrained weight
 * exactly.
 */
final class ModelFactory {

  static final String RESIDUAL_SUFFIX = ".residual";

  private final FrozenBase base;
  private final String method;
  private final Map<String, String> options;
  private final long adapterSeed;
  private final int numLabels;
  private final long headSeed;
  private final Map<String, float[]> pretrained = new HashMap<>();

  ModelFactory(
      FrozenBase base,
      String method,
      Map<String, String> options,
      long adapterSeed,
      int numLabels,
      long headSeed) {
    this.base = base;
    this.method = method;
    this.options = options;
    this.adapterSeed = adapterSeed;
    this.numLabels = numLabels;
    this.headSeed = headSeed;
  }

  FrozenBase base() {
    return base;
  }

  /** A model holding the received tensors; close it when done. */
  synchronized Instance instantiate(Map<String, HostTensor> tensors) {
    Adapter adapter =
        method == null
            ? null
            : AdapterRegistry.get(method).create(options, base.encoder(), adapterSeed);
    ClassificationHead head =
        new ClassificationHead(
            base.root(), base.encoder().config().hiddenSize(), numLabels, headSeed);
    Map<String, HostTensor> plain = new LinkedHashMap<>();
    Map<String, HostTensor> residuals = new LinkedHashMap<>();
    tensors.forEach((k, v) -> (k.endsWith(RESIDUAL_SUFFIX) ? residuals : plain).put(k, v));
    ClassifierModel model = new ClassifierModel(base.encoder(), adapter, head);
    model.loadState(plain);
    List<NDArray> changed = new ArrayList<>();
    for (var e : residuals.entrySet()) {
      String module = e.getKey().substring(0, e.getKey().length() - RESIDUAL_SUFFIX.length());
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
      changed.add(w);
    }
    return new Instance(model, adapter, head, plain, residuals.keySet(), this);
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
    return base.encoder().linearWeight(layer, m);
  }

  private synchronized void restore(Iterable<String> residualNames) {
    for (String name : residualNames) {
      String module = name.substring(0, name.length() - RESIDUAL_SUFFIX.length());
      Adapter.Tensors.assign(weightOf(module), pretrained.get(module));
    }
  }

  /** A live model; closing frees it and restores any frozen weight a residual changed. */
  static final class Instance implements AutoCloseable {
    private final ClassifierModel model;
    private final Adapter adapter;
    private final ClassificationHead head;
    private final Map<String, HostTensor> received;
    private final Iterable<String> residuals;
    private final ModelFactory owner;

    Instance(
        ClassifierModel model,
        Adapter adapter,
        ClassificationHead head,
        Map<String, HostTensor> received,
        Iterable<String> residuals,
        ModelFactory owner) {
      this.model = model;
      this.adapter = adapter;
      this.head = head;
      this.received = received;
      this.residuals = residuals;
      this.owner = owner;
    }

    ClassifierModel model() {
      return model;
    }

    /** The received (non-residual) tensors, the FedProx reference point. */
    Map<String, HostTensor> received() {
      return received;
    }

    @Override
    public void close() {
      owner.restore(residuals);
      if (adapter != null) {
        adapter.close();
      }
      head.close();
    }
  }
}
