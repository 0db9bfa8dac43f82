package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.tensor.HostTensor;

/**
 * A parameter-efficient adapter on a frozen encoder: a set of named tensors and the hooks through
 * which they change the encoder's computation.
 *
 * <p>Each method implements this interface in a package of its own (its adapter extends {@link
 * AbstractAdapter}, which keeps the method name, the tensors and the enabled flag), registered with
 * {@link AdapterRegistry} through a service file, and passes the shared conformance suite: equal to
 * the base model at init where the method says so, identical to the base model when disabled,
 * training changes only its trainable tensors, merge then unmerge restores the base weights, and
 * save then load is exact. Every tensor carries a {@link Role}; the client calls the round
 * lifecycle methods below in order (docs/architecture.md has the picture).
 */
public interface Adapter extends EncoderHooks, AutoCloseable {

  /** The method's registry name, e.g. {@code lora}. */
  String method();

  /**
   * The options that re-create this adapter with its method's {@link AdapterMethod#create} (saved
   * with it; defaults made explicit).
   */
  Map<String, String> options();

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

  // ---- The round lifecycle, called by the client in this order (docs/architecture.md) ----
  // 1. beginRound; 2. the client restores LOCAL tensors from its state store (loadState);
  // 3. trainableThisRound; 4. the client runs phases(...) in order, each with its own trainable
  // set and phase name; 5. the client saves the LOCAL tensors (also when a phase failed);
  // 6. uplink, then roundMetrics.

  /**
   * The round begins. Called after the received GLOBAL tensors are loaded and before the client's
   * LOCAL tensors are restored. ROUND tensors are at their initial values here.
   */
  default void beginRound(RoundSpec spec) {}

  /**
   * The adapter tensors this client trains this round. The default: every trainable tensor ({@link
   * AdapterTensor#trainable()}: of a trained role, GLOBAL, LOCAL or ROUND, and not marked otherwise
   * by the adapter).
   *
   * @param probe gradient norms on one mini-batch of the client's data, for methods that select by
   *     gradient
   */
  default Set<String> trainableThisRound(RoundSpec spec, GradientProbe probe) {
    Set<String> names = new LinkedHashSet<>();
    for (AdapterTensor t : tensors()) {
      if (t.trainable()) {
        names.add(t.name());
      }
    }
    return names;
  }

  /**
   * The training procedure of this round, phases in order. The default: one phase that trains
   * {@code trainable} and the head with every local step.
   */
  default List<TrainingPhase> phases(RoundSpec spec, Set<String> trainable) {
    return List.of(new TrainingPhase(HookContext.DEFAULT_PHASE, trainable, true, 1.0));
  }

  /**
   * What the client sends after training. The default: the GLOBAL tensors among {@code trained}, as
   * they are. A method may transform them (Ravan folds its scales into its cores); it must never
   * include a tensor that is not GLOBAL.
   */
  default Map<String, HostTensor> uplink(Set<String> trained) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (AdapterTensor t : tensors()) {
      if (t.role() == Role.GLOBAL && trained.contains(t.name())) {
        out.put(t.name(), Tensors.toHost(t.array()));
      }
    }
    return out;
  }

  /**
   * Facts about the round just trained, reported with the client's update as metrics named {@code
   * adapter.<key>} and written per client to metrics.jsonl (Ravan: how many and which heads it
   * trained). Called after {@link #uplink}. The default reports nothing.
   */
  default Map<String, Double> roundMetrics() {
    return Map.of();
  }

  /**
   * Per-batch preparation before the encoder runs: an adapter that needs per-example values
   * (FedDPA's instance-wise weights) computes them here and returns a context carrying them. The
   * default returns {@code ctx}.
   *
   * @param ids token ids (batch, seq)
   * @param mask attention mask (batch, seq)
   */
  default HookContext prepareBatch(HookContext ctx, NDArray ids, NDArray mask) {
    return ctx;
  }

  /**
   * Client-side work on the client's own data before the client uses its personalised model: called
   * by the client when it evaluates, after its LOCAL tensors are restored and before the first
   * batch. FedDPA fine-tunes its local adapter here (variant F) and caches the embeddings of a few
   * training examples for its instance-wise weighting. The client saves its LOCAL tensors
   * afterwards when this returns true. It must leave the same LOCAL tensors when called again on
   * what it left: a resumed {@code server} evaluates the round its checkpoint holds again, on
   * clients that already personalised for it (FedDPA fine-tunes only when the global adapter
   * changed, and recomputes the same anchors; DeployFedDpaKillResumeCliTest in fedpeft-cli). The
   * default does nothing and returns false.
   *
   * @return whether any LOCAL tensor changed
   */
  default boolean personalise(ClientContext client) {
    return false;
  }

  /**
   * Why this adapter, its tensors loaded from a saved folder, cannot compute the model it was saved
   * from, or null when it can (the default). FedDPA: a client's model whose anchor embeddings went
   * stale when it trained after its last evaluation.
   */
  default String savedStateProblem() {
    return null;
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

  /**
   * Puts the adapter into the form it is saved in, without changing the model it computes; {@link
   * AdapterFiles#save} calls it before it writes the adapter's tensors (ROUND tensors are not
   * saved). The default does nothing; Ravan and Fed-SB fold their ROUND scales into their cores.
   */
  default void prepareToSave() {}

  /**
   * Writes the adapter into folder {@code dir} in Hugging Face PEFT's format for a bare BERT
   * encoder ({@code adapter_config.json} and {@code adapter_model.safetensors}, {@code task_type
   * FEATURE_EXTRACTION}), so that PEFT or sentence-transformers can load it; {@link
   * AdapterFiles#save} calls it after {@link #prepareToSave}, beside the fedpeft files. The default
   * writes nothing: the method has no PEFT form, and the fedpeft files alone hold the adapter. LoRA
   * writes itself; Ravan and Fed-SB write one LoRA of rank h r per module.
   *
   * @param baseModel the config's {@code base_model_name_or_path} ({@link
   *     AdapterFiles#peftBaseModel})
   * @param fedpeft the {@code fedpeft} object of the config (head, labels, extra), which the method
   *     copies and adds its method and options to
   */
  default void writePeftFiles(Path dir, String baseModel, JsonObject fedpeft) throws IOException {}

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
