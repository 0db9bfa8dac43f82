package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under client-level DP with Poisson client sampling a round that samples nobody, or whose every
 * sampled client's update failed, releases the noise alone and is charged; metrics.jsonl says so
 * ({@code accepted} 0, no {@code skipped}) and the console prints a line for it, but report.html
 * did not mark such rounds. It now warns of them, by the console's rule ({@code
 * RunRecorder.isNoiseOnlyRound}): neither a skipped round nor a round with an accepted update.
 */
class ReportNoiseOnlyRoundsTest {

  @TempDir Path tmp;

  @Test
  void theReportNamesTheRoundsThatReleasedTheNoiseAlone() throws Exception {
    Files.writeString(
        tmp.resolve("metrics.jsonl"),
        String.join(
            "\n",
            "{\"event\":\"round\",\"round\":1,\"sampled\":[\"client-0\"],\"accepted\":1,"
                + "\"failures\":[],\"epsilon\":0.5}",
            "{\"event\":\"round\",\"round\":2,\"sampled\":[],\"accepted\":0,\"failures\":[],"
                + "\"epsilon\":0.7}",
            // a round an earlier fedpeft skipped: nothing released
            "{\"event\":\"round\",\"round\":3,\"sampled\":[],\"accepted\":0,\"failures\":[],"
                + "\"skipped\":\"no client sampled (Poisson client sampling)\"}",
            "{\"event\":\"round\",\"round\":4,\"sampled\":[\"client-1\"],\"accepted\":0,"
                + "\"failures\":[{\"client\":\"client-1\",\"kind\":\"DROPPED\",\"reason\":\"lost\"}],"
                + "\"epsilon\":0.9}",
            ""));
    String html = Files.readString(ReportWriter.write(tmp));
    assertTrue(
        html.contains(
            "<p class=\"stop\"><b>2 rounds released the noise alone</b> (rounds 2, 4: accepted 0"
                + " in metrics.jsonl; no client sampled, or every sampled client's update"
                + " failed): the global model moved by the noise alone, and each was charged like"
                + " every round under privacy.mode = \"client\" with client_sampling ="
                + " \"poisson\".</p>"),
        html);
  }

  @Test
  void aRunWithoutSuchRoundsHasNoWarning() throws Exception {
    Files.writeString(
        tmp.resolve("metrics.jsonl"),
        "{\"event\":\"round\",\"round\":1,\"sampled\":[\"client-0\"],\"accepted\":1,"
            + "\"failures\":[]}\n");
    String html = Files.readString(ReportWriter.write(tmp));
    assertFalse(html.contains("released the noise alone"), html);
    assertEquals(
        "<b>1 round released the noise alone</b> (round 5: accepted 0 in metrics.jsonl; no client"
            + " sampled, or every sampled client's update failed): the global model moved by the"
            + " noise alone, and each was charged like every round under privacy.mode ="
            + " \"client\" with client_sampling = \"poisson\".",
        ReportWriter.noiseOnlyRounds(
            java.util.List.of(
                com.google.gson.JsonParser.parseString(
                        "{\"event\":\"round\",\"round\":5,\"sampled\":[],\"accepted\":0}")
                    .getAsJsonObject())));
  }
}
