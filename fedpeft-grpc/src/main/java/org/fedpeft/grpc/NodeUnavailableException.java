package org.fedpeft.grpc;

import org.fedpeft.federation.ClientDroppedException;

/**
 * A remote client node cannot be reached for a request: it is not connected, or its connection
 * closed before it replied (it disconnected, was killed, or reconnected on a new stream). The round
 * driver records it as a client of kind {@code DROPPED}.
 */
public final class NodeUnavailableException extends ClientDroppedException {

  private static final long serialVersionUID = 1L;

  /**
   * @param reason which node and what happened
   */
  public NodeUnavailableException(String reason) {
    super(reason);
  }
}
