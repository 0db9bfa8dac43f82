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
 * A run folder whose config.json holds a client.head_learning_rate that is 0 only as a 32-bit float
 * (1e-60, which an earlier fedpeft accepted and whose every client then failed round 1) is not
 * resumed: the refusal names the run's config.json, says the run cannot be resumed, and gives the
 * key's rule. The check comes before any model or data is read, so the folder is written by hand
 * (as {@link ClientDpPoissonOldMinClientsResumeTest} does).
 */
class ClientFloatResumeTest {

  @TempDir Path run;

  @Test
  void aRunWithAHeadRateThatIsZeroAsAFloatIsNotResumed() throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "2");
    o.put("data.file", run.resolve("data.jsonl").toString());
    JsonObject config =
        JsonParser.parseString(SimulationConfig.of(Map.of(), o, "test").toJson()).getAsJsonObject();
    config.addProperty("client.head_learning_rate", "1.0E-60");
    StartedRunFolder.write(run, config);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Simulation.resume(run));
    assertEquals(
        run.resolve("config.json")
            + ": the run's config was accepted when the run started but this version refuses it,"
            + " so the run cannot be resumed; start a new run with a config it accepts"
            + " (config.json: client.head_learning_rate = 1.0E-60 is invalid: 0, or > 0 as a"
            + " 32-bit float: about 1.4e-45 to 3.4e38)",
        e.getMessage());
  }
}
