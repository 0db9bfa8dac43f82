package org.fedpeft.federation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFile;
import org.fedpeft.io.Sha256;
import org.fedpeft.tensor.HostTensor;

/**
 * Everything the server knows between rounds, explicitly (as FedJAX keeps server state as a value):
 * a strategy's {@code aggregate} maps one state to the next and keeps nothing else, so a server
 * restarted from a saved state replays the following rounds bit for bit.
 *
 * <p>Contents:
 *
 * <ul>
 *   <li>{@code round}: the number of completed rounds (0 right after {@link Strategy#initialize});
 *       the next round to run is {@code round + 1}.
 *   <li>{@code global}: the GLOBAL tensors, i.e. the model being trained.
 *   <li>{@code strategyTensors}: tensor-valued strategy state under namespaced names, e.g. the
 *       server optimiser's moments {@code opt/m/<name>} and {@code opt/v/<name>}, or FedEx-LoRA's
 *       {@code <module>.residual}.
 *   <li>{@code extra}: scalar and structured strategy state as strings (numbers written with {@link
 *       Double#toString} or {@link Long#toString}, structures as JSON text); it holds at least
 *       {@code strategy}, the name of the strategy that owns the state. The strategy's parts keep
 *       their own state here or in {@code strategyTensors} under a prefix of their own: the
 *       client-level differential privacy aggregator its {@code dp.*} entries, the server optimiser
 *       its moments.
 * </ul>
 *
 * <p>Instances are immutable (maps are sorted unmodifiable copies; tensors are shared and must not
 * be modified, as {@link HostTensor} prescribes). {@link #toBytes()} is safetensors: the tensors as
 * {@code global/<name>} and {@code strategy/<name>} in F32, and the metadata {@code fedpeft.message
 * = server_state}, {@code format = 1}, {@code round}, and {@code extra.<key>} per entry. {@link
 * #fromBytes} gives back an equal state, every float bit for bit.
 *
 * @param round completed rounds, at least 0
 * @param global the GLOBAL tensors by name
 * @param strategyTensors tensor-valued strategy state by name
 * @param extra string-valued strategy state by key
 */
public record ServerState(
    int round,
    Map<String, HostTensor> global,
    Map<String, HostTensor> strategyTensors,
    Map<String, String> extra) {

  /** The {@code extra} key naming the strategy that owns the state. */
  public static final String STRATEGY_KEY = "strategy";

  static final String MESSAGE = "server_state";
  static final String FORMAT = "1";
  private static final String GLOBAL_PREFIX = "global/";
  private static final String STRATEGY_PREFIX = "strategy/";
  private static final String EXTRA_PREFIX = "extra.";

  /** Validates and copies the maps. */
  public ServerState {
    if (round < 0) {
      throw new IllegalArgumentException("round must be at least 0, got " + round);
    }
    global = Wire.sortedCopy(global, "global tensor");
    strategyTensors = Wire.sortedCopy(strategyTensors, "strategy tensor");
    extra = Wire.sortedCopy(extra, "extra entry");
  }

  /** The state of round 0 of a strategy: the initial tensors and the strategy's name. */
  public static ServerState initial(Map<String, HostTensor> global, String strategyName) {
    return new ServerState(0, global, Map.of(), Map.of(STRATEGY_KEY, strategyName));
  }

  /** The name of the strategy that owns this state, or null. */
  public String strategyName() {
    return extra.get(STRATEGY_KEY);
  }

  /** The shapes of the global tensors, by name. */
  public SortedMap<String, long[]> globalShapes() {
    return Wire.shapes(global);
  }

  /** A builder starting from this state. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  // ---------------------------------------------------------------- bytes

  /** The metadata of the serialized form. */
  private Map<String, String> metadata() {
    Map<String, String> meta = new TreeMap<>();
    meta.put(Wire.KIND, MESSAGE);
    meta.put("format", FORMAT);
    meta.put("round", Integer.toString(round));
    Wire.putPrefixed(meta, EXTRA_PREFIX, extra);
    return meta;
  }

  private Map<String, HostTensor> allTensors() {
    Map<String, HostTensor> all = new TreeMap<>();
    global.forEach((k, v) -> all.put(GLOBAL_PREFIX + k, v));
    strategyTensors.forEach((k, v) -> all.put(STRATEGY_PREFIX + k, v));
    return all;
  }

  /** The serialized form; equal states give equal bytes. */
  public byte[] toBytes() {
    return Safetensors.serialize(allTensors(), metadata());
  }

  /** SHA-256 of {@link #toBytes()} in hex: equal fingerprints mean bit-identical states. */
  public String fingerprint() {
    return Sha256.ofBytes(toBytes());
  }

  /**
   * Atomically writes {@link #toBytes()}'s content to a file, with a checksum of it that {@link
   * #load} verifies ({@link Safetensors#writeChecked}).
   */
  public void save(Path path) throws IOException {
    Safetensors.writeChecked(path, allTensors(), metadata());
  }

  /**
   * Parses the serialized form.
   *
   * @param bytes what {@link #toBytes()} produced
   * @param source names the origin in error messages
   * @throws IllegalArgumentException if the bytes are not a server state
   */
  public static ServerState fromBytes(byte[] bytes, String source) {
    return parse(Safetensors.deserialize(bytes, source));
  }

  /**
   * Reads a state written by {@link #save}.
   *
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it is not a server state
   */
  public static ServerState load(Path path) throws IOException {
    return parse(Safetensors.read(path));
  }

  private static ServerState parse(SafetensorsFile f) {
    Wire.checkKind(f, MESSAGE);
    String format = Wire.require(f, "format");
    if (!FORMAT.equals(format)) {
      throw new IllegalArgumentException(
          f.source() + ": server state format " + format + " is not supported (expected 1)");
    }
    int round = Wire.parseInt(Wire.require(f, "round"), "round", f.source());
    Map<String, HostTensor> global = new TreeMap<>();
    Map<String, HostTensor> strategy = new TreeMap<>();
    for (Map.Entry<String, HostTensor> e : Wire.f32Tensors(f).entrySet()) {
      String name = e.getKey();
      if (name.startsWith(GLOBAL_PREFIX)) {
        global.put(name.substring(GLOBAL_PREFIX.length()), e.getValue());
      } else if (name.startsWith(STRATEGY_PREFIX)) {
        strategy.put(name.substring(STRATEGY_PREFIX.length()), e.getValue());
      } else {
        throw new IllegalArgumentException(
            f.source()
                + ": tensor '"
                + name
                + "' is neither global/ nor strategy/ state; not a server state");
      }
    }
    for (String key : f.metadata().keySet()) {
      if (!key.startsWith(EXTRA_PREFIX)
          && !key.equals(Wire.KIND)
          && !key.equals("format")
          && !key.equals("round")) {
        throw new IllegalArgumentException(
            f.source() + ": unknown server state metadata '" + key + "'");
      }
    }
    return new ServerState(round, global, strategy, Wire.withPrefix(f.metadata(), EXTRA_PREFIX));
  }

  @Override
  public String toString() {
    return "ServerState[round="
        + round
        + ", "
        + global.size()
        + " global, "
        + strategyTensors.size()
        + " strategy tensors, extra="
        + extra
        + "]";
  }

  /** Builds the next state from a previous one; strategies use it inside {@code aggregate}. */
  public static final class Builder {
    private int round;
    private final TreeMap<String, HostTensor> global;
    private final TreeMap<String, HostTensor> strategyTensors;
    private final TreeMap<String, String> extra;

    private Builder(ServerState base) {
      this.round = base.round;
      this.global = new TreeMap<>(base.global);
      this.strategyTensors = new TreeMap<>(base.strategyTensors);
      this.extra = new TreeMap<>(base.extra);
    }

    /** The round number the built state will carry. */
    public int round() {
      return round;
    }

    /** Sets the number of completed rounds. */
    public Builder round(int completedRounds) {
      this.round = completedRounds;
      return this;
    }

    /** The current value of a global tensor in the builder, or null. */
    public HostTensor global(String name) {
      return global.get(name);
    }

    /** Sets a global tensor. */
    public Builder putGlobal(String name, HostTensor value) {
      global.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, name));
      return this;
    }

    /** Sets a strategy tensor. */
    public Builder putStrategyTensor(String name, HostTensor value) {
      strategyTensors.put(
          Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, name));
      return this;
    }

    /** Removes a strategy tensor if present. */
    public Builder removeStrategyTensor(String name) {
      strategyTensors.remove(name);
      return this;
    }

    /** The current value of an extra entry in the builder, or null. */
    public String extra(String key) {
      return extra.get(key);
    }

    /** Sets an extra entry. */
    public Builder putExtra(String key, String value) {
      extra.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
      return this;
    }

    /** Removes an extra entry if present. */
    public Builder removeExtra(String key) {
      extra.remove(key);
      return this;
    }

    /** The immutable state. */
    public ServerState build() {
      return new ServerState(round, global, strategyTensors, extra);
    }
  }
}
