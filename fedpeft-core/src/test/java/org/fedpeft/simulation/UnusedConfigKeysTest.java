package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.peft.dual.FedDpaConfig;
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
