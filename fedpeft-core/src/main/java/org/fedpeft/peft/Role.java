package org.fedpeft.peft;

/**
 * What a tensor of an adapter (or head) is in a federation: whether it is trained, whether it
 * travels, and where it persists. Every tensor carries exactly one role.
 *
 * <table>
 *   <caption>Roles</caption>
 *   <tr><th>role</th><th>trained</th><th>sent to the server</th><th>between rounds</th></tr>
 *   <tr><td>GLOBAL</td><td>yes</td><td>yes, and aggregated</td><td>in the server state</td></tr>
 *   <tr><td>LOCAL</td><td>yes</td><td>never</td><td>in the client's {@code
 *       ClientStateStore}</td></tr>
 *   <tr><td>FROZEN_SHARED</td><td>no</td><td>never</td><td>re-derived from the run seed on every
 *       machine</td></tr>
 *   <tr><td>ROUND</td><td>yes</td><td>never as is (a method may fold it into a GLOBAL
 *       tensor)</td><td>reset to its initial value every round</td></tr>
 * </table>
 *
 * <p>The server's state and every downlink hold GLOBAL tensors only; a client refuses a downlink
 * that carries a tensor of another role, or whose FROZEN_SHARED fingerprint differs from that of
 * its own seed-derived tensors ({@link org.fedpeft.client.FrozenShared}: the tensors themselves
 * never travel).
 */
public enum Role {
  /** Trained, uploaded, aggregated (LoRA's A and B under FedIT, a classification head). */
  GLOBAL,
  /** Trained, kept on the client in its state store (FedDPA's local adapter). */
  LOCAL,
  /** Derived from the run seed, identical everywhere, never trained or sent (FFA-LoRA's A). */
  FROZEN_SHARED,
  /** Trained within one round, reset every round, never sent as is (Ravan's scales). */
  ROUND;

  /**
   * Whether the optimiser may update tensors of this role. An adapter may still mark one tensor of
   * a trained role as not trainable ({@link AdapterTensor#trainable()}).
   */
  public boolean trained() {
    return this != FROZEN_SHARED;
  }
}
