package org.fedpeft.peft;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The state every adapter of fedpeft keeps, in one place: its method's registry name, its tensors
 * in the order they were added ({@link #addTensor}), and whether its hooks are active. An adapter
 * extends this and reads {@link #isEnabled} in its hooks; one made of other adapters overrides
 * {@link #setEnabled} to switch them too.
 */
public abstract class AbstractAdapter implements Adapter {

  private final String method;
  private final List<AdapterTensor> tensors = new ArrayList<>();
  private final List<AdapterTensor> tensorsView = Collections.unmodifiableList(tensors);
  private boolean enabled = true;

  /**
   * An enabled adapter of method {@code method}, without tensors yet.
   *
   * @param method the registry name {@link #method} returns, e.g. {@code lora}
   */
  protected AbstractAdapter(String method) {
    this.method = method;
  }

  /** Appends a tensor to {@link #tensors}; called while the adapter is built. */
  protected final void addTensor(AdapterTensor tensor) {
    tensors.add(tensor);
  }

  @Override
  public final String method() {
    return method;
  }

  /** The tensors in the order they were added, as an unmodifiable view. */
  @Override
  public final List<AdapterTensor> tensors() {
    return tensorsView;
  }

  /** Whether the hooks are active: true until {@link #setEnabled} says otherwise. */
  @Override
  public final boolean isEnabled() {
    return enabled;
  }

  @Override
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }
}
