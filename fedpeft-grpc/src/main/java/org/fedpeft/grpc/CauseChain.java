package org.fedpeft.grpc;

import java.util.ArrayList;
import java.util.List;

/**
 * A failure and its causes, which for a TLS or connection problem say what was wrong: what {@link
 * ClientNode} and {@link HandshakeWatch} read to report it.
 */
final class CauseChain {

  private CauseChain() {}

  /**
   * {@code t} and its causes, outermost first, at most {@code max} of them (so a chain that loops
   * back on itself ends too); empty for a null {@code t}.
   */
  static List<Throwable> of(Throwable t, int max) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable c = t; c != null && chain.size() < max; c = c.getCause()) {
      chain.add(c);
    }
    return chain;
  }
}
