package org.fedpeft.grpc;

/**
 * A message that arrived but is refused: a reply for another round or run, a duplicate or replayed
 * reply, a message over the size limit, chunks out of order. On the server the message is the
 * reason recorded for the client's failure in the round.
 */
public final class MessageRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param reason what was rejected and why
   */
  public MessageRejectedException(String reason) {
    super(reason);
  }
}
