package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.Pooling;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.tensor.HostTensor;

/**
 * A frozen encoder, an optional adapter and a classification head on the mean-pooled output: the
 * unit the local trainer optimises. Without an adapter it is a linear probe on frozen features.
 */
public final class ClassifierModel {

  private final BertEncoder encoder;
  private final Adapter adapter;
  private final ClassificationHead head;
  private String phase = HookContext.DEFAULT_PHASE;
  private Set<String> trainableNames; // null: every trainable tensor
  private Set<String> frozenHeadTensors = Set.of(); // heads of tasks this model does not train

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
    return head.logits(pooled(ids, mask, training));
  }

  /**
   * Logits with each example scored against its own task's labels only (see {@link
   * ClassificationHead#logits(NDArray, int[])}).
   *
   * @param tasks each example's task, or null (single-task data)
   */
  public NDArray logits(NDArray ids, NDArray mask, boolean training, int[] tasks) {
    return head.logits(pooled(ids, mask, training), tasks);
  }

  /**
   * Trains only the heads of these tasks (parts of the head's layout) from now on: a client trains
   * and sends the heads of the tasks it holds examples of. Null: every head (the default).
   */
  public void trainHeadsOf(int[] parts) {
    if (parts == null) {
      frozenHeadTensors = Set.of();
      return;
    }
    Set<Integer> keep = new HashSet<>();
    for (int p : parts) {
      keep.add(p);
    }
    if (!head.layout().multiTask()) {
      keep.add(0);
    }
    Set<String> frozen = new HashSet<>();
    for (AdapterTensor t : head.tensors()) {
      frozen.add(t.name());
    }
    head.tensorsOf(keep).forEach(t -> frozen.remove(t.name()));
    frozenHeadTensors = frozen;
  }

  /** The head tensors that train: those of the tasks given to {@link #trainHeadsOf}. */
  public List<AdapterTensor> trainableHeadTensors() {
    return head.tensors().stream().filter(t -> !frozenHeadTensors.contains(t.name())).toList();
  }

  /**
   * The mean-pooled encoder output (batch, hidden) with the adapter in the current phase, after the
   * adapter's per-batch preparation.
   */
  public NDArray pooled(NDArray ids, NDArray mask, boolean training) {
    if (adapter == null) {
      return Pooling.mean(encoder.forward(ids, mask, EncoderHooks.NONE, training), mask);
    }
    HookContext ctx = adapter.prepareBatch(HookContext.of(training).inPhase(phase), ids, mask);
    return Pooling.mean(encoder.forward(ids, mask, adapter, ctx), mask);
  }

  /**
   * Whether two batches may run through this model at the same time on two threads: true without an
   * adapter, else as the adapter says ({@link EncoderHooks#concurrentBatches()}). The frozen
   * encoder and the head keep nothing of a batch between calls.
   */
  public boolean concurrentBatches() {
    return adapter == null || adapter.concurrentBatches();
  }

  /** The training phase the hooks see ({@link HookContext#DEFAULT_PHASE} unless set). */
  public String phase() {
    return phase;
  }

  /**
   * Enters a training phase: the hooks see its name, and only its tensors (plus the head's, if the
   * phase trains the head) are trainable until the next call or {@link #endPhases()}.
   */
  public void enterPhase(TrainingPhase p) {
    Set<String> names = new HashSet<>(p.tensors());
    if (p.trainHead()) {
      trainableHeadTensors().forEach(t -> names.add(t.name()));
    }
    for (String n : p.tensors()) {
      if (tensors().stream().noneMatch(t -> t.name().equals(n) && t.trainable())) {
        throw new IllegalArgumentException(
            "phase " + p.name() + " trains " + n + ", which is not a trainable tensor");
      }
    }
    this.phase = p.name();
    this.trainableNames = names;
  }

  /** Back to the default phase, every trainable tensor trained. */
  public void endPhases() {
    this.phase = HookContext.DEFAULT_PHASE;
    this.trainableNames = null;
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

  /** The tensors the optimiser updates (in a phase: the phase's tensors). */
  public List<AdapterTensor> trainableTensors() {
    return tensors().stream()
        .filter(AdapterTensor::trainable)
        .filter(t -> !frozenHeadTensors.contains(t.name()))
        .filter(t -> trainableNames == null || trainableNames.contains(t.name()))
        .toList();
  }

  /**
   * How many parameters training updates: the elements of {@link #trainableTensors}, without the
   * head's when {@code withoutHead} (the contrastive objective never trains the head). What {@code
   * train}'s and a simulation's summary.json record as {@code trainable_parameters}.
   */
  public long trainableParameters(boolean withoutHead) {
    Set<String> headNames = new HashSet<>();
    if (withoutHead) {
      head.tensors().forEach(t -> headNames.add(t.name()));
    }
    return trainableTensors().stream()
        .filter(t -> !headNames.contains(t.name()))
        .mapToLong(t -> t.array().size())
        .sum();
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
