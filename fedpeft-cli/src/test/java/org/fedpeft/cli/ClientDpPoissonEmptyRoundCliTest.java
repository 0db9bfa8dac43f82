package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.privacy.RdpAccountant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A simulation with client-level DP and Poisson client sampling whose round 2 draws nobody (seed 5,
 * 6 clients, 2 expected per round: the draws are 1, 0, 2 and 2 clients). The accountant charges q =
 * 2 / 6, an analysis that assumes a noisy release every round; the empty round used to be skipped
 * (no release, no charge, "skipped" in metrics.jsonl and on the console), which showed whether a
 * client took part. Now every round is released and charged.
 */
class ClientDpPoissonEmptyRoundCliTest {

  @TempDir Path tmp;

  /** What the console says of round 2, which draws nobody. */
  static final String NOISE_ONLY_ROUND_2 =
      "round 2: no client sampled (Poisson client sampling); released the noise alone and charged,"
          + " as every round under privacy.mode = \"client\" with client_sampling = \"poisson\"";

  /**
   * In {@code tmp}: the tiny model, 120 examples of four topics, and the config of a 4-round run
   * with client-level DP (seeded noise) and Poisson sampling of 2 of 6 clients whose round 2 draws
   * nobody. Returns the config.
   */
  static Path config(Path tmp) throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    Path data = Deployments.topicsFile(tmp.resolve("data.jsonl"), 120);
    Path config = tmp.resolve("run.toml");
    Files.writeString(
        config,
        """
        seed = 5
        rounds = 4
        clients = 6
        clients_per_round = 2
        client_sampling = "poisson"

        [data]
        file = "%s"
        partition = "iid"
        max_eval = 20

        [model]
        name = "%s"

        [adapter]
        rank = 2
        targets = ["query"]

        [client]
        local_steps = 1
        batch_size = 8

        [privacy]
        mode = "client"
        noise = "seeded"
        delta = 1e-5

        [privacy.client]
        clip_norm = 0.5
        noise_multiplier = 1.1

        [eval]
        every = 4
        """
            .formatted(
                data.toString().replace("\\", "\\\\"), model.toString().replace("\\", "\\\\")));
    return config;
  }

  @Test
  void everyRoundIsChargedAlsoOneThatDrawsNobody() throws Exception {
    Path config = config(tmp);
    Path out = tmp.resolve("run");
    CliRun.Result r = CliRun.run("simulate", config.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());

    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(4, metrics.size(), String.join("\n", metrics));
    RdpAccountant charged = new RdpAccountant();
    List<Integer> empty = new ArrayList<>();
    for (int round = 1; round <= 4; round++) {
      JsonObject line = JsonParser.parseString(metrics.get(round - 1)).getAsJsonObject();
      assertEquals("round", line.get("event").getAsString());
      assertEquals(round, line.get("round").getAsInt());
      assertFalse(line.has("skipped"), line.toString());
      int sampled = line.getAsJsonArray("sampled").size();
      assertEquals(sampled, line.get("accepted").getAsInt(), line.toString());
      if (sampled == 0) {
        empty.add(round);
        assertEquals(0, line.get("bytes_up").getAsLong(), line.toString());
      }
      charged.step(2.0 / 6, 1.1, 1); // one step of (q, z) per round, whoever was drawn
      assertEquals(charged.getEpsilon(1e-5), line.get("epsilon").getAsDouble(), line.toString());
    }
    assertEquals(List.of(2), empty, "round 2 draws nobody: " + String.join("\n", metrics));

    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(0, summary.get("rounds_skipped").getAsInt());
    assertEquals(charged.getEpsilon(1e-5), summary.get("epsilon").getAsDouble());
    assertTrue(
        summary.get("epsilon_sampling").getAsString().contains("every round releases"),
        summary.toString());
    assertFalse(r.err().contains("skipped"), r.err());
    assertTrue(r.err().contains(NOISE_ONLY_ROUND_2), r.err());
  }
}
