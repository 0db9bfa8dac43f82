package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;

/**
 * Adapter options that change nothing with the others (AdapterMethod#inertOptions) were silently
 * accepted; a new config now refuses them, naming the option, the value that makes it inert and
 * what to do, while defaults never count and a run's saved config.json still loads.
 */
class InertAdapterOptionsTest {

  private static ConfigException refused(Map<String, Object> file) {
    return assertThrows(
        ConfigException.class, () -> SimulationConfig.of(file, Map.of(), "run.toml"));
  }

  @Test
  void softembedRankWithLinearFormIsRefused() {
    ConfigException e = refused(Map.of("adapter.method", "softembed", "adapter.rank", 8L));
    assertEquals(
        "run.toml: adapter.rank = 8 does nothing with adapter.method = \"softembed\" and"
            + " adapter.form = \"linear\": rank is the inner width of the lowrank and mlp forms,"
            + " and the linear form (a full d x d U) has none; give adapter.form = \"lowrank\" or"
            + " \"mlp\", or leave out adapter.rank",
        e.getMessage());
    // the same set explicitly, and through --set
    refused(Map.of("adapter.method", "softembed", "adapter.form", "linear", "adapter.rank", 4L));
    ConfigException set =
        assertThrows(
            ConfigException.class,
            () ->
                SimulationConfig.of(
                    Map.of("adapter.method", "softembed"), Map.of("adapter.rank", "4"), "r"));
    assertTrue(
        set.getMessage().startsWith("--set: adapter.rank = 4 does nothing"), set.getMessage());
    // read by lowrank and mlp; linear without rank is fine
    for (String form : new String[] {"lowrank", "mlp"}) {
      SimulationConfig.of(
          Map.of("adapter.method", "softembed", "adapter.form", form, "adapter.rank", 4L),
          Map.of(),
          "r");
    }
    SimulationConfig.of(
        Map.of("adapter.method", "softembed", "adapter.form", "linear"), Map.of(), "r");
  }

  @Test
  void feddpaOptionsOfTheOtherVariantAreRefused() {
    ConfigException t = refused(Map.of("adapter.method", "feddpa", "adapter.finetune_epochs", 2.0));
    assertTrue(
        t.getMessage()
            .startsWith(
                "run.toml: adapter.finetune_epochs = 2.0 does nothing with adapter.method ="
                    + " \"feddpa\" and adapter.variant = \"T\": FedDPA-T"),
        t.getMessage());
    assertTrue(
        t.getMessage()
            .endsWith("; give adapter.variant = \"F\", or leave out adapter.finetune_epochs"),
        t.getMessage());
    for (String o : new String[] {"local_weight", "local_share"}) {
      ConfigException f =
          refused(Map.of("adapter.method", "feddpa", "adapter.variant", "F", "adapter." + o, 0.3));
      assertTrue(
          f.getMessage()
              .startsWith(
                  "run.toml: adapter."
                      + o
                      + " = 0.3 does nothing with adapter.method = \"feddpa\" and adapter.variant"
                      + " = \"F\": FedDPA-F"),
          f.getMessage());
      assertTrue(
          f.getMessage().endsWith("; give adapter.variant = \"T\", or leave out adapter." + o),
          f.getMessage());
      SimulationConfig.of(
          Map.of("adapter.method", "feddpa", "adapter.variant", "T", "adapter." + o, 0.3),
          Map.of(),
          "r");
    }
    SimulationConfig.of(
        Map.of("adapter.method", "feddpa", "adapter.variant", "F", "adapter.finetune_epochs", 2.0),
        Map.of(),
        "r");
    // defaults never count: every option of each variant left out
    SimulationConfig.of(Map.of("adapter.method", "feddpa", "adapter.variant", "F"), Map.of(), "r");
    SimulationConfig.of(Map.of("adapter.method", "feddpa"), Map.of(), "r");
  }

  @Test
  void ravanAndFedbeOptionsThatChangeNothingAreRefused() {
    ConfigException sigma = refused(Map.of("adapter.method", "ravan", "adapter.sigma", 0.1));
    assertTrue(
        sigma
            .getMessage()
            .contains(
                "adapter.sigma = 0.1 does nothing with adapter.method = \"ravan\" and"
                    + " adapter.init = \"gram-schmidt\""),
        sigma.getMessage());
    refused(Map.of("adapter.method", "fed-sb", "adapter.init", "shared", "adapter.sigma", 0.1));
    SimulationConfig.of(
        Map.of("adapter.method", "fed-sb", "adapter.init", "normal", "adapter.sigma", 0.1),
        Map.of(),
        "r");
    ConfigException init =
        refused(
            Map.of("adapter.method", "ravan", "adapter.init", "normal", "adapter.factors", "f.st"));
    assertTrue(
        init.getMessage().contains("adapter.init = \"normal\" does nothing"), init.getMessage());
    ConfigException heads =
        refused(
            Map.of(
                "adapter.method",
                "ravan",
                "adapter.heads",
                1L,
                "adapter.head_selection",
                "weight"));
    assertTrue(
        heads
            .getMessage()
            .endsWith("; give adapter.heads >= 2, or leave out adapter.head_selection"),
        heads.getMessage());
    ConfigException depth =
        refused(
            Map.of(
                "adapter.method",
                "fedbe",
                "server.strategy",
                "fedbe",
                "adapter.allocation",
                "random",
                "adapter.depth_weight",
                2.0));
    assertTrue(
        depth
            .getMessage()
            .endsWith(
                "; give adapter.allocation = \"coverage\", or leave out" + " adapter.depth_weight"),
        depth.getMessage());
  }

  /** A run's saved config.json with an inert option (from before this check) still resumes. */
  @Test
  void savedConfigWithAnInertOptionStillLoads() {
    SimulationConfig plain =
        SimulationConfig.of(Map.of("adapter.method", "softembed"), Map.of(), "r");
    JsonObject saved = JsonParser.parseString(plain.toJson()).getAsJsonObject();
    saved.addProperty("adapter.rank", "8");
    SimulationConfig restored = SimulationConfig.fromJson(saved.toString());
    assertEquals(Map.of("rank", "8"), new LinkedHashMap<>(restored.adapterOptions()));
    JsonObject dpa =
        JsonParser.parseString(
                SimulationConfig.of(Map.of("adapter.method", "feddpa"), Map.of(), "r").toJson())
            .getAsJsonObject();
    dpa.addProperty("adapter.finetune_epochs", "3.0");
    assertEquals(
        "3.0", SimulationConfig.fromJson(dpa.toString()).adapterOptions().get("finetune_epochs"));
  }
}
