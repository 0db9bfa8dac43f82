package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Under client-level DP with Poisson sampling a round whose every drawn client failed is released
 * with the noise alone (no other client's update). Review, 4 December: report.html's warning said
 * such rounds "went on with the other clients' updates", which there were none of; it now says the
 * rounds went on without the failed updates, true of every round it counts.
 */
class ReportNoiseOnlyRoundFitFailuresTest {

  @Test
  void aRoundWhoseEveryDrawnClientFailedIsNotSaidToHaveUsedOtherUpdates() {
    JsonObject noiseOnly =
        JsonParser.parseString(
                "{\"event\":\"round\",\"round\":3,\"sampled\":[\"client-1\"],\"failures\":"
                    + "[{\"client\":\"client-1\",\"kind\":\"TIMEOUT\",\"reason\":\"fit timed"
                    + " out\"}]}")
            .getAsJsonObject();
    assertEquals(
        "<b>1 client update failed</b> in 1 round (failures in metrics.jsonl); those rounds went"
            + " on without them. The first: client-1: fit timed out.",
        ReportWriter.fitFailures(List.of(noiseOnly)));
  }
}
