package org.fedpeft.grpc;

/**
 * The client on a remote node failed on a request and said why; the message is the node's reason
 * (the exception its local {@link org.fedpeft.federation.ClientApp} threw).
 */
public final class RemoteClientException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * @param reason the node's reason
   */
  public RemoteClientException(String reason) {
    super(reason);
  }
}
