package org.fedpeft.client;

import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.Sha256;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;

/**
 * The fingerprint of a model's FROZEN_SHARED tensors: SHA-256 (hex) of their safetensors
 * serialization, sorted by name, without metadata. The server computes it once from the run seed
 * and sends it with every instruction; a client whose own seed-derived tensors give another
 * fingerprint (another seed, another version) refuses the round. The tensors themselves never
 * travel.
 */
public final class FrozenShared {

  private FrozenShared() {}

  /** The fingerprint of the model's FROZEN_SHARED tensors, or "" if it has none. */
  public static String fingerprint(ClassifierModel model) {
    Map<String, HostTensor> frozen = new TreeMap<>();
    for (AdapterTensor t : model.tensors()) {
      if (t.role() == Role.FROZEN_SHARED) {
        frozen.put(t.name(), org.fedpeft.peft.Adapter.Tensors.toHost(t.array()));
      }
    }
    if (frozen.isEmpty()) {
      return "";
    }
    return Sha256.ofBytes(Safetensors.serialize(frozen, null));
  }

  /**
   * Checks the model's FROZEN_SHARED tensors against the server's fingerprint.
   *
   * @param expected the server's fingerprint ("" if the server sent none: nothing is checked)
   * @throws IllegalStateException if they differ
   */
  public static void check(ClassifierModel model, String expected, String clientId) {
    if (expected.isEmpty()) {
      return;
    }
    String own = fingerprint(model);
    if (!own.equals(expected)) {
      throw new IllegalStateException(
          "client "
              + clientId
              + " refuses the round: its FROZEN_SHARED tensors (sha256 "
              + (own.isEmpty() ? "none" : own)
              + ") differ from the server's (sha256 "
              + expected
              + "); client and server must derive them from the same run seed and fedpeft version");
    }
  }
}
