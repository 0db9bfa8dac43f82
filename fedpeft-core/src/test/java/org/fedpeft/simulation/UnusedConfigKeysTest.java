package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.peft.dual.FedDpaConfig;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * What a run did not read, as its config knows it: the keys whose value was ignored ({@link
 * SimulationConfig#unusedKeys}, which the report greys) and, of the adapter's resolved options,
 * those its method says are inert ({@link SimulationConfig#adapterOptionsRead}, summary.json's
 * {@code adapter_options_resolved}): FedDPA-F listed FedDPA-T's options, and the configuration
 * table listed data.task beside data.file as if it had been used.
 */
class UnusedConfigKeysTest {

  private static SimulationConfig config(Map<String, Object> file) {
    return SimulationConfig.of(file, Map.of(), "run.toml");
  }

  @Test
  void dataTaskIsUnusedBesideDataFileAndUsedWithoutIt() {
    Map<String, String> unused = config(Map.of("data.file", "d.jsonl")).unusedKeys();
    assertEquals("data.file is set", unused.get("data.task"));
    assertFalse(unused.containsKey("data.split"), "data.split splits data.file");
    Map<String, String> bundled = config(Map.of()).unusedKeys();
    assertFalse(bundled.containsKey("data.task"), bundled.toString());
    assertEquals("no data.file to split", bundled.get("data.split"));
    assertTrue(
        config(Map.of("data.labels", List.of("a", "b"))).unusedKeys().containsKey("data.task"));
  }

  /**
   * QA: a server whose clients hold the data (data.labels without data.file) reads neither
   * data.max_train nor data.partition (no training data; only a node splitting its --data file
   * reads the partition); the report listed them as read. data.client_holdout is read by every
   * client. data.max_eval is read in every run: without a test split (data.labels without
   * data.file, or data.split = "none", and no data.test) it caps nothing of the run, but the
   * adapter records it (adapter.json's max_eval) and {@code fedpeft eval} of that adapter caps a
   * test file to it unless given --max-eval, so it was wrongly greyed as unused there.
   */
  @Test
  void dataKeysOfARunWhoseClientsHoldTheDataAreUnused() {
    Map<String, String> held = config(Map.of("data.labels", List.of("a", "b"))).unusedKeys();
    for (String key : List.of("data.task", "data.max_train", "data.partition")) {
      assertTrue(held.get(key).startsWith("data.labels without data.file"), key + ": " + held);
    }
    assertTrue(held.get("data.partition").contains("only a node splitting its --data file"));
    assertFalse(held.containsKey("data.max_eval"), "eval's default cap: " + held);
    assertFalse(held.containsKey("data.client_holdout"), held.toString());
    assertFalse(held.containsKey("data.labels"), held.toString());
    Map<String, String> heldWithTest =
        config(Map.of("data.labels", List.of("a", "b"), "data.test", "t.jsonl")).unusedKeys();
    assertFalse(heldWithTest.containsKey("data.max_eval"), "caps data.test");
    assertTrue(heldWithTest.containsKey("data.partition"), heldWithTest.toString());
    Map<String, String> whole =
        config(Map.of("data.file", "d.jsonl", "data.split", "none")).unusedKeys();
    for (String key :
        List.of("data.max_train", "data.partition", "data.client_holdout", "data.max_eval")) {
      assertFalse(whole.containsKey(key), key + " is read: " + whole);
    }
    for (Map<String, Object> read :
        List.<Map<String, Object>>of(Map.of(), Map.of("data.file", "d.jsonl"))) {
      Map<String, String> unused = config(read).unusedKeys();
      for (String key : List.of("data.max_train", "data.partition", "data.max_eval")) {
        assertFalse(unused.containsKey(key), key + " with " + read + ": " + unused);
      }
    }
  }

  /** QA: without noise epsilon is infinite, so privacy.delta, the delta of epsilon, is not read. */
  @Test
  void privacyDeltaIsUnusedWithoutNoise() {
    Map<String, String> sample =
        config(Map.of("privacy.mode", "sample", "privacy.sample.noise_multiplier", 0.0))
            .unusedKeys();
    assertEquals(
        "privacy.sample.noise_multiplier = 0: without noise epsilon is infinite",
        sample.get("privacy.delta"));
    Map<String, String> client =
        config(
                Map.of(
                    "privacy.mode",
                    "client",
                    "privacy.client.noise_multiplier",
                    0.0,
                    "privacy.sample.noise_multiplier",
                    1.0))
            .unusedKeys();
    assertTrue(client.containsKey("privacy.delta"), client.toString());
    Map<String, String> noisy =
        config(
                Map.of(
                    "privacy.mode",
                    "client",
                    "privacy.client.noise_multiplier",
                    1.0,
                    "privacy.sample.noise_multiplier",
                    0.0))
            .unusedKeys();
    assertFalse(noisy.containsKey("privacy.delta"), noisy.toString());
  }

  /**
   * Without noise privacy.noise, where the noise comes from, is not read either, unless adaptive
   * clipping draws its count noise (privacy.client.count_noise) from it, which it does whatever the
   * update's noise multiplier; with noise it is read.
   */
  @Test
  void privacyNoiseIsUnusedWhenNoNoiseIsDrawn() {
    Map<String, String> sample =
        config(Map.of("privacy.mode", "sample", "privacy.sample.noise_multiplier", 0.0))
            .unusedKeys();
    assertEquals(
        "privacy.sample.noise_multiplier = 0: no noise is drawn", sample.get("privacy.noise"));
    Map<String, String> client =
        config(Map.of("privacy.mode", "client", "privacy.client.noise_multiplier", 0.0))
            .unusedKeys();
    assertEquals(
        "privacy.client.noise_multiplier = 0: no noise is drawn", client.get("privacy.noise"));
    Map<String, String> adaptive =
        config(
                Map.of(
                    "privacy.mode",
                    "client",
                    "privacy.client.noise_multiplier",
                    0.0,
                    "privacy.client.adaptive",
                    true))
            .unusedKeys();
    assertFalse(adaptive.containsKey("privacy.noise"), "the count noise: " + adaptive);
    assertTrue(adaptive.containsKey("privacy.delta"), adaptive.toString());
    for (String mode : List.of("client", "sample")) {
      Map<String, String> noisy =
          config(Map.of("privacy.mode", mode, "privacy." + mode + ".noise_multiplier", 1.0))
              .unusedKeys();
      assertFalse(noisy.containsKey("privacy.noise"), mode + ": " + noisy);
    }
  }

  @Test
  void privacyKeysOfAnotherModeAreUnused() {
    Map<String, String> none = config(Map.of()).unusedKeys();
    assertEquals("privacy.mode = \"none\"", none.get("privacy.epsilon"));
    assertFalse(none.containsKey("privacy.mode"));
    Map<String, String> sample =
        config(Map.of("privacy.mode", "sample", "privacy.sample.noise_multiplier", 1.0))
            .unusedKeys();
    assertTrue(sample.containsKey("privacy.client.clip_norm"), sample.toString());
    assertTrue(sample.containsKey("client.max_grad_norm"), sample.toString());
    assertFalse(sample.containsKey("privacy.sample.clip_norm"), sample.toString());
    assertFalse(sample.containsKey("privacy.epsilon"), sample.toString());
    Map<String, String> client =
        config(Map.of("privacy.mode", "client", "privacy.client.noise_multiplier", 1.0))
            .unusedKeys();
    assertTrue(client.containsKey("privacy.sample.clip_norm"), client.toString());
    assertEquals("privacy.client.adaptive = false", client.get("privacy.client.target_quantile"));
    assertFalse(client.containsKey("privacy.client.clip_norm"), client.toString());
    assertFalse(client.containsKey("client.max_grad_norm"), client.toString());
  }

  @Test
  void feddpaResolvedOptionsAreThoseOfItsVariant() {
    for (String variant : List.of("F", "T")) {
      Map<String, String> all = FedDpaConfig.fromOptions(Map.of("variant", variant)).toOptions();
      assertTrue(all.containsKey("local_weight") && all.containsKey("finetune_epochs"));
      Map<String, String> read =
          config(Map.of("adapter.method", "feddpa", "adapter.variant", variant))
              .adapterOptionsRead(all);
      assertEquals(variant, read.get("variant"));
      assertEquals(variant.equals("T"), read.containsKey("local_weight"), read.toString());
      assertEquals(variant.equals("T"), read.containsKey("local_share"), read.toString());
      assertEquals(variant.equals("F"), read.containsKey("finetune_epochs"), read.toString());
      assertTrue(read.containsKey("rank"), read.toString());
    }
  }
}
