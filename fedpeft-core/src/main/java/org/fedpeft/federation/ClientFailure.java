package org.fedpeft.federation;

import java.util.Locale;
import java.util.Objects;

/**
 * A sampled client that did not contribute to a round, and why (Flower's {@code failures}).
 *
 * @param clientId the client
 * @param kind what went wrong
 * @param reason a human-readable explanation naming the tensor, value or exception concerned
 */
public record ClientFailure(String clientId, Kind kind, String reason) {

  /** The category of a failure. */
  public enum Kind {
    /** The client threw an exception or returned nothing usable. */
    ERROR,
    /** The client did not answer within the per-client timeout. */
    TIMEOUT,
    /** The client answered, but its update failed validation (see {@link UpdateValidator}). */
    REJECTED,
    /** The transport lost the client (disconnect, unreachable node). */
    DROPPED,
    /**
     * The client declined before training, releasing nothing (its privacy budget is spent; see
     * {@link ClientDeclinedException}).
     */
    DECLINED
  }

  /** Validates that no field is null. */
  public ClientFailure {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
  }

  @Override
  public String toString() {
    return clientId + " (" + kind.name().toLowerCase(Locale.ROOT) + ": " + reason + ")";
  }
}
