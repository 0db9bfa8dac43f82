package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.tensor.HostTensor;

/**
 * A parameter-efficient adapter on a frozen encoder: a set of named tensors and the hooks through
 * which they change the encoder's computation.
 *
 * <p>Every method (LoRA, Ravan, FedDPA's dual adapter, block expansion, soft embeddings) implements
 * this interface in a package of its own and passes the shared conformance suite: equal to the base
 * model at init where the method says so, identical to the base model when disabled, training
 * changes only its trainable tensors, merge then unmerge restores the base weights, and save then
 * load is exact.
 */
public interface Adapter extends EncoderHooks, AutoCloseable {

  /** The method's registry name, e.g. {@code lora}. */
  String method();

  /** Every tensor of the adapter, trainable or not, in a stable order. */
  List<AdapterTensor> tensors();

  /** Whether the hooks are active; a disabled adapter leaves the base model exactly as it is. */
  boolean isEnabled();

  /** Turns the adapter on or off. */
  void setEnabled(boolean enabled);

  /**
   * Folds the adapter into the encoder's frozen weights, so inference costs nothing extra; while
   * merged, the hooks add nothing.
   *
   * @throws UnsupportedOperationException if the method cannot be merged
   */
  default void merge(BertEncoder encoder) {
    throw new UnsupportedOperationException(method() + " adapters cannot be merged");
  }

  /** Undoes {@link #merge}. */
  default void unmerge(BertEncoder encoder) {
    throw new UnsupportedOperationException(method() + " adapters cannot be merged");
  }

  /** A heap copy of every tensor, keyed by name. */
  default Map<String, HostTensor> state() {
    return Tensors.toHost(tensors());
  }

  /**
   * Overwrites tensors with values of the same names and shapes. Names not in {@code values} keep
   * their value.
   *
   * @throws IllegalArgumentException naming an unknown tensor or a shape mismatch
   */
  default void loadState(Map<String, HostTensor> values) {
    Tensors.load(tensors(), values, method());
  }

  @Override
  void close();

  /** Copies between live adapter tensors and heap tensors. */
  final class Tensors {
    private Tensors() {}

    /** Heap copies keyed by name, in order. */
    public static Map<String, HostTensor> toHost(List<AdapterTensor> tensors) {
      Map<String, HostTensor> m = new LinkedHashMap<>();
      for (AdapterTensor t : tensors) {
        m.put(t.name(), toHost(t.array()));
      }
      return m;
    }

    /** A heap copy of an array (converted to float32). */
    public static HostTensor toHost(NDArray a) {
      return new HostTensor(a.getShape().getShape(), a.toFloatArray());
    }

    /** Sets live tensors from heap values, in place, checking names and shapes. */
    public static void load(
        List<AdapterTensor> tensors, Map<String, HostTensor> values, String who) {
      Map<String, AdapterTensor> byName = new LinkedHashMap<>();
      for (AdapterTensor t : tensors) {
        byName.put(t.name(), t);
      }
      for (var e : values.entrySet()) {
        AdapterTensor t = byName.get(e.getKey());
        if (t == null) {
          throw new IllegalArgumentException(
              who + ": no tensor named " + e.getKey() + " (known: " + byName.keySet() + ")");
        }
        Shape shape = t.array().getShape();
        if (!Arrays.equals(shape.getShape(), e.getValue().shape())) {
          throw new IllegalArgumentException(
              who
                  + ": tensor "
                  + e.getKey()
                  + " has shape "
                  + shape
                  + " but the value has shape "
                  + Arrays.toString(e.getValue().shape()));
        }
        assign(t.array(), e.getValue().data());
      }
    }

    /**
     * Overwrites an array's values in place (keeping its identity and gradient flag). Uses an
     * indexed copy: DJL's {@code NDArray.set(float[])} goes through a deprecated PyTorch path that
     * prints a warning on stderr.
     */
    public static void assign(NDArray target, float[] values) {
      try (NDManager tmp = target.getManager().newSubManager()) {
        NDArray v = tmp.create(values, target.getShape());
        NDScope.unregister(v);
        target.set(new NDIndex(":"), v);
      }
    }
  }
}
