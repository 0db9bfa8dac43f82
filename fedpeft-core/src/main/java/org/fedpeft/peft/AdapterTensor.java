package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * One named tensor of an adapter (or head).
 *
 * <p>Whether the optimiser may update it follows from its role ({@link Role#trained()}), unless the
 * adapter marks a tensor of a trained role as not trainable: a value the adapter computes itself
 * and keeps with its role, such as FedDPA's cached anchor embeddings, a LOCAL tensor that stays on
 * the client and is saved with it but is never touched by an optimiser.
 *
 * @param name stable name, used in files, checkpoints and on the wire
 * @param role what the tensor is in a federation (trained? sent? persisted where?)
 * @param array the live value, updated in place by the optimiser
 * @param trainable whether the optimiser may update it; never true for a role that is not trained
 */
public record AdapterTensor(String name, Role role, NDArray array, boolean trainable) {

  /** Checks that nothing is null and that a FROZEN_SHARED tensor is not trainable. */
  public AdapterTensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role of " + name);
    Objects.requireNonNull(array, "array of " + name);
    if (trainable && !role.trained()) {
      throw new IllegalArgumentException(
          "tensor " + name + " is " + role + ", a role that is never trained");
    }
  }

  /** A tensor that is trainable exactly when its role is trained. */
  public AdapterTensor(String name, Role role, NDArray array) {
    this(name, role, array, role.trained());
  }
}
