package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What the {@link EncoderHooks} of one forward pass know about it: whether it trains, which
 * training phase runs, and per-batch arrays an adapter prepared for this batch (for example
 * FedDPA's per-example mixing weights, shape (batch, 1, 1)). Hooks read it instead of keeping
 * mutable per-batch state in fields, so one adapter serves concurrent forward passes.
 *
 * <p>Immutable: {@link #with} returns a new context.
 */
public final class HookContext {

  /** The phase of a plain training or evaluation pass. */
  public static final String DEFAULT_PHASE = "train";

  /**
   * The key under which {@link BertEncoder#forward} passes its attention-mask bias to the hooks:
   * (batch, 1, 1, seq), 0 where attended and the float32 minimum where padded, ready for {@link
   * BertEncoder#attention}. Absent when no position of the batch is padded.
   */
  public static final String ATTENTION_MASK_BIAS = "encoder.attention_mask_bias";

  private static final HookContext INFERENCE = new HookContext(false, DEFAULT_PHASE, Map.of());
  private static final HookContext TRAINING = new HookContext(true, DEFAULT_PHASE, Map.of());

  private final boolean training;
  private final String phase;
  private final Map<String, NDArray> values;

  private HookContext(boolean training, String phase, Map<String, NDArray> values) {
    this.training = training;
    this.phase = Objects.requireNonNull(phase, "phase");
    this.values = values;
  }

  /** An evaluation pass: no dropout. */
  public static HookContext inference() {
    return INFERENCE;
  }

  /** A training pass of the default phase. */
  public static HookContext training() {
    return TRAINING;
  }

  /** A training ({@code true}) or evaluation pass of the default phase. */
  public static HookContext of(boolean training) {
    return training ? TRAINING : INFERENCE;
  }

  /** Whether this pass trains (adapters apply dropout). */
  public boolean isTraining() {
    return training;
  }

  /** The training phase, {@link #DEFAULT_PHASE} unless a method's procedure names another. */
  public String phase() {
    return phase;
  }

  /** A copy in another phase. */
  public HookContext inPhase(String newPhase) {
    return new HookContext(training, newPhase, values);
  }

  /** A copy with one more per-batch array under {@code key}. */
  public HookContext with(String key, NDArray value) {
    Map<String, NDArray> v = new LinkedHashMap<>(values);
    v.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
    return new HookContext(training, phase, Collections.unmodifiableMap(v));
  }

  /** The per-batch array under {@code key}, or null. */
  public NDArray value(String key) {
    return values.get(key);
  }
}
