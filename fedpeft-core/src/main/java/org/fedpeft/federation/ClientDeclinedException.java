package org.fedpeft.federation;

/**
 * Thrown by {@link ClientApp#fit} when a client declines to take part in a round before doing
 * anything, for example because its privacy budget is spent. The round driver records it as a
 * {@link ClientFailure} of kind {@link ClientFailure.Kind#DECLINED} with this message as the
 * reason; the round goes on without the client.
 */
public final class ClientDeclinedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param reason why the client declines, for example {@code "privacy budget spent: ..."}
   */
  public ClientDeclinedException(String reason) {
    super(reason);
  }
}
