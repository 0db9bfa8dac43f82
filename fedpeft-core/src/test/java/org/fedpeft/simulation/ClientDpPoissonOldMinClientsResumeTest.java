package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An earlier fedpeft accepted {@code server.min_clients} > 1 with client-level DP and Poisson
 * client sampling (a round that drew fewer was skipped); this one refuses it, since every round is
 * released. A run folder started with such a config is not resumed under a rule it did not start
 * with: the refusal names the run's config.json, says why the run cannot be resumed and what to do,
 * and gives the config rule's own message. The check comes before any model or data is read, so the
 * run folder is written by hand (as {@link ResumeInputsTest} does).
 */
class ClientDpPoissonOldMinClientsResumeTest {

  @TempDir Path run;

  @Test
  void aRunStartedWithAMinimumAboveOneIsNotResumed() throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "2");
    o.put("data.file", run.resolve("data.jsonl").toString());
    o.put("adapter.rank", "2");
    o.put("client_sampling", "poisson");
    o.put("privacy.mode", "client");
    JsonObject config =
        JsonParser.parseString(SimulationConfig.of(Map.of(), o, "test").toJson()).getAsJsonObject();
    // What the earlier fedpeft wrote for server.min_clients = 2.
    config.addProperty("server.min_clients", "2");
    StartedRunFolder.write(run, config);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Simulation.resume(run));
    assertEquals(
        run.resolve("config.json")
            + ": the run's config was accepted when the run started but this version refuses it,"
            + " so the run cannot be resumed; start a new run with a config it accepts"
            + " (config.json: server.min_clients (2) must be 1 with privacy.mode = \"client\" and"
            + " client_sampling = \"poisson\": every round then releases a noisy update and is"
            + " charged, however many clients are drawn or reply (none included), as the"
            + " accounting with q = clients_per_round / clients assumes, so no minimum of clients"
            + " can apply (use client_sampling = \"fixed\" to keep a minimum))",
        e.getMessage());
  }
}
