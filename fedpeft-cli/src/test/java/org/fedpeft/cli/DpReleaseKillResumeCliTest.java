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
import java.util.Map;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A DP round is never released twice and charged once: a {@code simulate} run with the default
 * secure noise, client-level and sample-level, killed with SIGKILL at each pause point of round 2
 * ({@code round-2-before-checkpoint}: aggregated, nothing of it written; {@code
 * round-2-after-metrics}: checkpointed, evaluated and its metrics line written), then resumed,
 * keeps every metrics line the killed process wrote as it was (a round it released is not drawn
 * again with fresh noise: every round is evaluated, so each line holds its noisy model's accuracy),
 * and reports the epsilon of an uninterrupted run of as many rounds (each round charged once). The
 * config is {@link DeployMethodsCliTest}'s: 3 rounds of 2 of 3 clients.
 */
@Timeout(600)
class DpReleaseKillResumeCliTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"client", "sample"})
  void aReleasedRoundIsNotDrawnAgainOnResume(String mode) throws Exception {
    Path config = config(mode);
    Path full = tmp.resolve("full");
    CliRun.Result first = CliRun.run("simulate", config.toString(), "--out", full.toString());
    assertEquals(0, first.code(), first.err());
    JsonObject uninterrupted = summary(full);

    for (String point : List.of("round-2-before-checkpoint", "round-2-after-metrics")) {
      Path killed = tmp.resolve("killed-" + point);
      try (Spawned child =
          Spawned.fedpeft(
              mode + "-" + point,
              Map.of(PausePoint.PROPERTY, point),
              List.of("simulate", config.toString(), "--out", killed.toString()))) {
        child.awaitLine(PausePoint.message(point));
        child.kill();
      }
      List<String> released = Files.readAllLines(killed.resolve("metrics.jsonl"));
      assertFalse(released.isEmpty(), point);
      CliRun.Result r = CliRun.run("simulate", "--resume", killed.toString());
      assertEquals(0, r.code(), r.err());
      List<String> after = Files.readAllLines(killed.resolve("metrics.jsonl"));
      assertEquals(3, after.size(), after.toString());
      assertEquals(
          released,
          after.subList(0, released.size()),
          "killed at "
              + point
              + ": a line the killed process wrote was written again with other values, so its"
              + " round was released twice");
      JsonObject resumed = summary(killed);
      assertEquals(
          uninterrupted.get("epsilon"),
          resumed.get("epsilon"),
          "killed at " + point + ": every round charged once");
      if (mode.equals("sample")) {
        assertEquals(
            uninterrupted.get("epsilon_per_client"), resumed.get("epsilon_per_client"), point);
      }
      assertEquals(
          resumed.get("epsilon").getAsDouble(),
          JsonParser.parseString(after.get(2)).getAsJsonObject().get("epsilon").getAsDouble(),
          "the last line's epsilon is the run's");
      assertTrue(resumed.get("epsilon").getAsDouble() > 0, resumed.toString());
    }
  }

  /**
   * A deployed server under client-level DP with secure noise, killed with SIGKILL after round 2 is
   * checkpointed, evaluated on its clients and its metrics line written, and resumed while the
   * clients keep running ({@link DeployCliTest#killServerAndResume}): the resumed server evaluates
   * the same model again, so round 2's line is the killed server's, and the run ends with the
   * epsilon of 3 rounds.
   */
  @Test
  @Tag("slow")
  void aKilledServerDoesNotDrawAReleasedRoundAgain() throws Exception {
    Path config = config("client");
    List<String> released = new ArrayList<>();
    Path out =
        DeployCliTest.killServerAndResume(
            tmp, config, new String[0], 3, "round-2-after-metrics", 2, released);
    assertEquals(2, released.size(), released.toString());
    List<String> after = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(3, after.size(), after.toString());
    assertEquals(released, after.subList(0, 2), "round 2 released once");
    Path full = tmp.resolve("full");
    CliRun.Result first = CliRun.run("simulate", config.toString(), "--out", full.toString());
    assertEquals(0, first.code(), first.err());
    assertEquals(summary(full).get("epsilon"), summary(out).get("epsilon"));
  }

  /** DeployMethodsCliTest's config: LoRA with FedIT, every round evaluated, DP {@code mode}. */
  private Path config(String mode) throws Exception {
    return DeployMethodsCliTest.config(
        tmp,
        "dp-" + mode,
        """
            [adapter]
            method = "lora"
            rank = 2
            targets = ["query", "value"]

            [server]
            strategy = "fedit"

            [eval]
            every = 1

            [privacy]
            mode = "%s"
            %s
            """
            .formatted(
                mode,
                mode.equals("client")
                    ? "client.noise_multiplier = 0.5"
                    : "sample.noise_multiplier = 0.8"));
  }

  private static JsonObject summary(Path run) throws Exception {
    return JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
  }
}
