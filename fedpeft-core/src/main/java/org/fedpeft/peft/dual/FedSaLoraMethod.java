package org.fedpeft.peft.dual;

/**
 * {@code fedsa-lora} (FedSA-LoRA, Guo et al., ICLR 2025): LoRA's A GLOBAL and averaged, B LOCAL.
 * Runs under {@code server.strategy = "fedavg"}: {@code fedit} requires every A to come with its B.
 */
public final class FedSaLoraMethod extends PersonalLoraMethod {

  /** The method. */
  public FedSaLoraMethod() {
    super(
        PersonalLoraAdapter.Sharing.A,
        "FedSA-LoRA (ICLR 2025): LoRA A shared and averaged, B kept on each client (LOCAL);"
            + " run it with server.strategy = \"fedavg\"");
  }
}
