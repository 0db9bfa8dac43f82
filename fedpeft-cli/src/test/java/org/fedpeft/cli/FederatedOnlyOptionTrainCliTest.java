package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.peft.AdapterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 3 December: train accepted adapter options that only a federated run reads
 * (Ravan's head_selection, FedBE's allocation; FedDPA, whose own options all were, is now refused
 * whole: FedDpaCentralisedTrainRefusedTest) and trained as without them. Each method's option
 * schema marks them; train refuses them before the model loads (here the model does not exist),
 * naming each and why; info, which describes the federated adapter, still takes them.
 */
class FederatedOnlyOptionTrainCliTest {

  @TempDir Path tmp;

  private CliRun.Result train(String method, String options) {
    return CliRun.trainWithoutModel(tmp, method, options);
  }

  @Test
  void federatedOnlyOptionsAreRefusedNamingEach() {
    CliRun.Result r = train("ravan", "heads=2,head_selection=gradient");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft train: --adapter-options head_selection=gradient does nothing in centralised"
            + " training with --adapter ravan: only a federated run reads it (head_selection: it"
            + " picks the heads a client trains when its budget is below 1, and train has no"
            + " client budgets: every head is trained); leave it out, or run the federation with"
            + " simulate or server",
        r.err().strip());
    assertFalse(Files.exists(tmp.resolve("out")));

    CliRun.Result fedbe = train("fedbe", "allocation=random");
    assertEquals(2, fedbe.code(), fedbe.err());
    assertTrue(
        fedbe.err().contains("--adapter-options allocation=random does nothing in centralised"),
        fedbe.err());
  }

  /** Options every run reads are not refused: the run goes on to load the (missing) model. */
  @Test
  void otherOptionsReachTheModel() {
    CliRun.Result r = train("ravan", "heads=2,rank=4");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(tmp.resolve("no-model").toString()), r.err());
  }

  /** The schemas mark these options (the CLI holds no list of its own). */
  @Test
  void theMethodsDeclareThem() {
    assertEquals(
        java.util.List.of("head_selection"),
        java.util.List.copyOf(
            AdapterRegistry.get("ravan").optionSchema().federatedOnly().keySet()));
    assertEquals(
        java.util.List.of("allocation", "coverage_decay", "depth_weight"),
        java.util.List.copyOf(
            AdapterRegistry.get("fedbe").optionSchema().federatedOnly().keySet()));
    assertEquals(Map.of(), AdapterRegistry.get("lora").optionSchema().federatedOnly());
  }
}
