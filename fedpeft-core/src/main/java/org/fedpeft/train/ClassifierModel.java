package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.heads.Pooling;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.tensor.HostTensor;

/**
 * A frozen encoder, an optional adapter and a classification head on the mean-pooled output: the
 * unit the local trainer optimises. Without an adapter it is a linear probe on frozen features.
 */
public final class ClassifierModel {

  private final BertEncoder encoder;
  private final Adapter adapter;
  private final ClassificationHead head;

  /**
   * @param adapter the adapter, or null for a head on the frozen encoder
   */
  public ClassifierModel(BertEncoder encoder, Adapter adapter, ClassificationHead head) {
    this.encoder = encoder;
    this.adapter = adapter;
    this.head = head;
  }

  public BertEncoder encoder() {
    return encoder;
  }

  /** The adapter, or null. */
  public Adapter adapter() {
    return adapter;
  }

  public ClassificationHead head() {
    return head;
  }

  /**
   * @param ids (batch, seq) int64
   * @param mask (batch, seq) int64
   * @return logits (batch, labels)
   */
  public NDArray logits(NDArray ids, NDArray mask, boolean training) {
    EncoderHooks hooks = adapter == null ? EncoderHooks.NONE : adapter;
    NDArray h = encoder.forward(ids, mask, hooks, training);
    return head.logits(Pooling.mean(h, mask));
  }

  /** Every tensor of adapter and head, in order (adapter first). */
  public List<AdapterTensor> tensors() {
    List<AdapterTensor> all = new ArrayList<>();
    if (adapter != null) {
      all.addAll(adapter.tensors());
    }
    all.addAll(head.tensors());
    return all;
  }

  /** The tensors the optimiser updates. */
  public List<AdapterTensor> trainableTensors() {
    return tensors().stream().filter(AdapterTensor::trainable).toList();
  }

  /** Heap copies of every adapter and head tensor. */
  public Map<String, HostTensor> state() {
    return Adapter.Tensors.toHost(tensors());
  }

  /** Sets adapter and head tensors by name (names absent from {@code values} are kept). */
  public void loadState(Map<String, HostTensor> values) {
    Adapter.Tensors.load(tensors(), values, "model");
  }
}
