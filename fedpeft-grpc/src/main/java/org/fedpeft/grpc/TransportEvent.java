package org.fedpeft.grpc;

import java.util.Locale;
import java.util.Objects;

/**
 * Something that happened on a federation connection, for logs and metrics: a node connected or was
 * lost, a connection attempt failed or was refused, a message was rejected. Both the server ({@link
 * FederationServer}) and the client node ({@link ClientNode}) report them to a listener.
 *
 * @param kind what happened
 * @param node the node's identity (on the server: as authenticated; on a node: its own name)
 * @param requestId the request concerned, or 0
 * @param round the round concerned, or 0
 * @param detail a human-readable explanation
 */
public record TransportEvent(Kind kind, String node, long requestId, int round, String detail) {

  /** The kinds of event. */
  public enum Kind {
    /**
     * A node's stream was accepted (server: its READY arrived) or the server welcomed this node
     * (node: emitted before it sends READY, so before the server's CONNECTED of the same stream).
     */
    CONNECTED,
    /** A node's stream ended (server), or this node lost its stream to the server (node). */
    DISCONNECTED,
    /**
     * The server refused a stream (no or a mismatched identity, a node not in the population, a
     * server shutting down, a finished run the node's HELLO does not name; on a node: the server
     * refused it), or a node refused the server's run (its data or frozen model does not fit it;
     * both sides report it).
     */
    REFUSED,
    /** A connection attempt failed before the server welcomed the node (node side). */
    CONNECT_FAILED,
    /** A message was rejected (wrong round or run, duplicate, replay, oversized, out of order). */
    REJECTED,
    /** A request was given up by the server (the round driver's timeout) and the node told. */
    CANCELLED,
    /** The server said the run is over (node side), or told a node so (server side). */
    FINISHED,
    /**
     * A connection's TLS handshake failed, or the peer spoke plaintext to a TLS server (server
     * side); the event's node is the peer's address, since no identity was established.
     */
    HANDSHAKE_FAILED
  }

  /** Checks that no field is null. */
  public TransportEvent {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(detail, "detail");
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(Locale.ROOT)
        + " "
        + node
        + (round > 0 ? " round " + round : "")
        + (requestId > 0 ? " request " + requestId : "")
        + ": "
        + detail;
  }
}
