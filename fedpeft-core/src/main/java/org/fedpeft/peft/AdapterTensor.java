package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * One named tensor of an adapter (or head).
 *
 * @param name stable name, used in files, checkpoints and on the wire
 * @param role what the tensor is in a federation (trained? sent? persisted where?)
 * @param array the live value, updated in place by the optimiser
 */
public record AdapterTensor(String name, Role role, NDArray array) {

  /** Checks that nothing is null. */
  public AdapterTensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role of " + name);
    Objects.requireNonNull(array, "array of " + name);
  }

  /** Whether the optimiser may update it (every role but FROZEN_SHARED). */
  public boolean trainable() {
    return role.trained();
  }
}
