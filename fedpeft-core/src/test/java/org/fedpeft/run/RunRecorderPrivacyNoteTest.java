package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * QA, 4 December: {@code manifest.json}'s {@code privacy_note} said the noise came from
 * SecureRandom (or was seeded) also when the noise multiplier was 0 and no noise was drawn; it now
 * says what happened, and keeps its wording when noise is drawn.
 */
class RunRecorderPrivacyNoteTest {

  private static SimulationConfig config(String... keyValues) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      o.put(keyValues[i], keyValues[i + 1]);
    }
    return SimulationConfig.of(Map.of(), o, "test");
  }

  private static void says(String expected, SimulationConfig c) {
    assertEquals(expected + "; " + StrategyFactory.privacyNote(c), RunRecorder.privacyNote(c));
  }

  @Test
  void aMultiplierOfZeroSaysNoNoiseWasDrawnWhateverTheSource() {
    for (String source : new String[] {"secure", "seeded"}) {
      says(
          "client-level DP-FedAvg, z = 0.0, no noise drawn (clipping only: NOT private)",
          config(
              "privacy.mode", "client",
              "privacy.client.noise_multiplier", "0",
              "privacy.noise", source));
      says(
          "sample-level DP-SGD at each client, sigma = 0.0, C = 1.0, no noise drawn (clipping"
              + " only: NOT private)",
          config(
              "privacy.mode", "sample",
              "privacy.sample.noise_multiplier", "0",
              "privacy.noise", source));
    }
    // Adaptive clipping still draws the clipped count's noise from privacy.noise.
    says(
        "client-level DP-FedAvg, z = 0.0, no noise on the update (clipping only: NOT private),"
            + " adaptive clipping's count noise from SecureRandom",
        config(
            "privacy.mode", "client",
            "privacy.client.noise_multiplier", "0",
            "privacy.client.adaptive", "true"));
  }

  /**
   * QA, 4 December: with a noise multiplier of 0 the note still said which sampling the epsilon
   * assumed (and under Poisson client sampling that every round releases a noisy update), although
   * no epsilon is computed; it now says that without noise there is none, as summary.json's {@code
   * epsilon_note} does, whichever sampling and clipping the run uses.
   */
  @Test
  void aMultiplierOfZeroSaysThereIsNoFiniteEpsilonAndNothingAboutSampling() {
    String noEpsilon = ", so there is no privacy guarantee (epsilon is infinite)";
    assertEquals(
        "client-level DP-FedAvg, z = 0.0, no noise drawn (clipping only: NOT private);"
            + " privacy.client.noise_multiplier = 0 adds no noise to the update"
            + noEpsilon,
        RunRecorder.privacyNote(
            config(
                "privacy.mode", "client",
                "privacy.client.noise_multiplier", "0",
                "client_sampling", "poisson")));
    assertEquals(
        "client-level DP-FedAvg, z = 0.0, no noise on the update (clipping only: NOT private),"
            + " adaptive clipping's count noise from SecureRandom;"
            + " privacy.client.noise_multiplier = 0 adds no noise to the update"
            + noEpsilon,
        RunRecorder.privacyNote(
            config(
                "privacy.mode", "client",
                "privacy.client.noise_multiplier", "0",
                "privacy.client.adaptive", "true")));
    assertEquals(
        "sample-level DP-SGD at each client, sigma = 0.0, C = 1.0, no noise drawn (clipping only:"
            + " NOT private); privacy.sample.noise_multiplier = 0 adds no noise to the gradients"
            + noEpsilon,
        RunRecorder.privacyNote(
            config("privacy.mode", "sample", "privacy.sample.noise_multiplier", "0")));
  }

  @Test
  void withNoiseTheNoteIsAsBefore() {
    says(
        "client-level DP-FedAvg, z = 1.0, noise from SecureRandom",
        config("privacy.mode", "client"));
    says(
        "sample-level DP-SGD at each client, sigma = 1.3, C = 1.0, noise SEEDED from the run seed:"
            + " reproducible, NOT private",
        config(
            "privacy.mode", "sample",
            "privacy.sample.noise_multiplier", "1.3",
            "privacy.noise", "seeded"));
    assertEquals("no differential privacy in this run", RunRecorder.privacyNote(config()));
  }
}
