package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * Under client-level DP with Poisson client sampling every round releases a noisy update however
 * many clients take part, so server.min_clients can require nothing: a value above 1 is refused,
 * naming the keys and where they were set. With fixed-size sampling, or Poisson sampling without
 * client-level DP, it keeps its meaning.
 */
class ClientDpPoissonMinClientsTest {

  @Test
  void aMinimumAboveOneIsRefusedWithClientDpAndPoissonSampling() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("server.min_clients", 2L, "privacy.mode", "client"),
                    Map.of("client_sampling", "poisson"),
                    "r.toml"));
    assertEquals(
        "r.toml, --set: server.min_clients (2) must be 1 with privacy.mode = \"client\" and"
            + " client_sampling = \"poisson\": every round then releases a noisy update and is"
            + " charged, however many clients are drawn or reply (none included), as the"
            + " accounting with q = clients_per_round / clients assumes, so no minimum of clients"
            + " can apply (use client_sampling = \"fixed\" to keep a minimum)",
        e.getMessage());
  }

  @Test
  void theMinimumKeepsItsMeaningOtherwise() {
    assertEquals(
        1,
        SimulationConfig.of(
                Map.of("privacy.mode", "client"), Map.of("client_sampling", "poisson"), "r.toml")
            .minClients());
    assertEquals(
        2,
        SimulationConfig.of(
                Map.of("server.min_clients", 2L, "privacy.mode", "client"), Map.of(), "r.toml")
            .minClients());
    assertEquals(
        2,
        SimulationConfig.of(
                Map.of("server.min_clients", 2L), Map.of("client_sampling", "poisson"), "r.toml")
            .minClients());
    assertEquals(
        2,
        SimulationConfig.of(
                Map.of("server.min_clients", 2L, "privacy.mode", "sample"),
                Map.of("client_sampling", "poisson"),
                "r.toml")
            .minClients());
  }
}
