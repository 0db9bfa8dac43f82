package org.fedpeft.peft.dual;

/** {@code fedlora}: one LoRA, A and B LOCAL (never sent); only the head is averaged. */
public final class FedLoraMethod extends PersonalLoraMethod {

  /** The method. */
  public FedLoraMethod() {
    super(
        PersonalLoraAdapter.Sharing.NONE,
        "FedLoRA: one LoRA kept on each client (A and B LOCAL, never sent); only the head is"
            + " averaged");
  }
}
