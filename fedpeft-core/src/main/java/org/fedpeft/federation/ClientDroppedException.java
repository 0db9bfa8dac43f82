package org.fedpeft.federation;

/**
 * Thrown by a {@link ClientApp} that stands for a remote client when the transport lost that
 * client: it disconnected or was killed before it answered, or it is not connected at all. The
 * round driver records it as a {@link ClientFailure} of kind {@link ClientFailure.Kind#DROPPED}
 * with this message as the reason; the round goes on without the client.
 */
public class ClientDroppedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param reason which client and what happened to its connection
   */
  public ClientDroppedException(String reason) {
    super(reason);
  }
}
