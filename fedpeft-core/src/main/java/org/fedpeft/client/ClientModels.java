package org.fedpeft.client;

import java.util.HashMap;
import java.util.Map;
import org.fedpeft.train.FrozenBase;

/**
 * The frozen model of a process and the {@link ModelFactory} for each {@link ModelSpec} built on
 * it, shared by every client the process hosts (one in a client process, many in a simulation).
 * Safe for concurrent use.
 */
public final class ClientModels {

  private final FrozenBase base;
  private final Map<ModelSpec, ModelFactory> factories = new HashMap<>();
  private String baseIdentity; // guarded by this

  /**
   * @param base the frozen model; closing it stays with the caller
   */
  public ClientModels(FrozenBase base) {
    this.base = base;
  }

  /** The frozen model. */
  public FrozenBase base() {
    return base;
  }

  /** {@link BaseModel#of} the frozen model, computed on first use: it does not change. */
  public synchronized String baseIdentity() {
    if (baseIdentity == null) {
      baseIdentity = BaseModel.of(base);
    }
    return baseIdentity;
  }

  /** The factory of a spec, made on first use. */
  public synchronized ModelFactory factory(ModelSpec spec) {
    return factories.computeIfAbsent(spec, s -> new ModelFactory(base, s));
  }
}
