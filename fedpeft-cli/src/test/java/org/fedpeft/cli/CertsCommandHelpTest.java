package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fedpeft.grpc.FederationServer;
import org.junit.jupiter.api.Test;

/** {@code certs --help} states the node-name rule that {@code certs} then applies. */
class CertsCommandHelpTest {

  @Test
  void clientsHelpStatesTheNodeNameRule() {
    CliRun.Result r = CliRun.run("certs", "--help");
    assertEquals(0, r.code(), r.err());
    String help = r.out().replaceAll("\\s+", " ");
    assertTrue(
        help.contains(
            "Client node names, comma-separated (each " + FederationServer.NODE_NAME_RULE),
        help);
    assertTrue(help.contains("(each 1-128 letters, digits, '.', '_' or '-')"), help);
  }
}
