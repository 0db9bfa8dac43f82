package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one rule for node names ({@link FederationServer#nodeNameProblem}), which the node's options,
 * the insecure server's HELLO check and the certificate generator (so {@code fedpeft certs}) use.
 */
class NodeNameTest {

  @Test
  void theRuleAndItsMessage() {
    for (String ok : List.of("a", "client-00", "edge.node_1", "A-Z.0_9", "x".repeat(128))) {
      assertNull(FederationServer.nodeNameProblem("node name", ok), ok);
    }
    for (String bad : List.of("", "b c", "b/c", "../a", "caf\u00e9", "x".repeat(129))) {
      assertEquals(
          "node name '" + bad + "' is not 1-128 letters, digits, '.', '_' or '-'",
          FederationServer.nodeNameProblem("node name", bad),
          bad);
    }
  }

  @Test
  void theNodesOptionsUseIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClientNode.Options.defaults("b/c"));
    assertEquals(FederationServer.nodeNameProblem("node name", "b/c"), e.getMessage());
  }

  /** An insecure server takes the claimed name as the identity, so it checks it by the rule. */
  @Test
  void theInsecureServerUsesIt() throws Exception {
    try (InProcess p = new InProcess(FederationServer.Options.defaults())) {
      RawNode raw = new RawNode(p.channel(), "b/c", (first, message, index) -> List.of());
      try {
        TransportEvent refused =
            p.serverEvents.await(Events.is(TransportEvent.Kind.REFUSED, "b/c"));
        assertEquals(
            FederationServer.nodeNameProblem("the node name", "b/c")
                + " (insecure mode takes the name the node claims)",
            refused.detail());
      } finally {
        raw.close();
      }
    }
  }
}
