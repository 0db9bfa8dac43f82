package org.fedpeft.federation;

/**
 * The client side of federation, independent of the transport (Flower's {@code ClientApp}): the
 * in-process simulation calls it directly, a gRPC client node calls it with decoded messages.
 *
 * <p>A typical {@code fit}: load the received tensors into the model (and, for FedEx-LoRA, set the
 * frozen weights to pretrained + residual), load this client's {@link ClientState} (LOCAL tensors,
 * its privacy accountant) from its {@link ClientStateStore}, train with the config's settings
 * (steps, learning rate, seed, budget, FedProx mu), save the state back, and reply with the GLOBAL
 * tensors it trained, its example count and its training metrics. The client must not keep hidden
 * state that changes results besides its store (so a restarted client behaves the same).
 *
 * <p>Exceptions are fine: the driver turns a thrown exception (or a timeout) into a {@link
 * ClientFailure} and the round goes on without this client. A client that declines before doing
 * anything (its privacy budget is spent) throws {@link ClientDeclinedException}, recorded as kind
 * {@code DECLINED}.
 */
public interface ClientApp {

  /**
   * Trains locally.
   *
   * @param instructions tensors to start from and config
   * @return the update; its {@code clientId} must be {@code instructions.clientId()}
   * @throws Exception on any failure; the client is then excluded from the round
   */
  ClientUpdate fit(FitInstructions instructions) throws Exception;

  /**
   * Evaluates the received model on local data. The default refuses (a client that cannot
   * evaluate).
   *
   * @param instructions tensors to evaluate with and config
   * @return metrics and the number of examples they cover
   * @throws Exception on any failure
   */
  default EvaluateResult evaluate(EvaluateInstructions instructions) throws Exception {
    throw new UnsupportedOperationException(
        "client " + instructions.clientId() + " does not evaluate");
  }
}
