package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With privacy.mode = "sample", DP-SGD clips each example's gradient to privacy.sample.clip_norm
 * and ignores client.max_grad_norm: a new config that sets it (in the file or with --set) is
 * refused naming both keys, while its default is accepted and a run's saved config.json, which
 * holds every key, still resumes.
 */
class SampleDpMaxGradNormTest {

  @TempDir Path tmp;

  private static final String MESSAGE =
      "client.max_grad_norm (0.5) does nothing with privacy.mode = \"sample\": DP-SGD clips each"
          + " example's gradient to privacy.sample.clip_norm (2.0), which applies instead, and"
          + " does not clip the batch's gradient (set privacy.sample.clip_norm, and leave"
          + " client.max_grad_norm out)";

  @Test
  void maxGradNormSetInTheFileIsRefusedNamingBothKeysAndTheirLines() throws IOException {
    Path f = tmp.resolve("run.toml");
    Files.writeString(
        f,
        "[client]\nmax_grad_norm = 0.5\n\n[privacy]\nmode = \"sample\"\n"
            + "[privacy.sample]\nclip_norm = 2.0\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(f + ":2, " + f + ":5: " + MESSAGE, e.getMessage());
  }

  @Test
  void maxGradNormSetWithSetIsRefusedWhateverItsValue() {
    Map<String, Object> file = Map.of("privacy.mode", "sample", "privacy.sample.clip_norm", 2.0);
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> SimulationConfig.of(file, Map.of("client.max_grad_norm", "0.5"), "run.toml"));
    assertEquals("--set, run.toml: " + MESSAGE, e.getMessage());
    // its default value, set explicitly, and 0 (off) do nothing either
    for (String value : new String[] {"1.0", "0"}) {
      ConfigException same =
          assertThrows(
              ConfigException.class,
              () -> SimulationConfig.of(file, Map.of("client.max_grad_norm", value), "run.toml"));
      assertTrue(
          same.getMessage().startsWith("--set, run.toml: client.max_grad_norm ("),
          same.getMessage());
    }
  }

  @Test
  void defaultIsAcceptedAndOtherModesReadTheKey() {
    SimulationConfig c = SimulationConfig.of(Map.of("privacy.mode", "sample"), Map.of(), "r");
    assertEquals(1.0, c.maxGradNorm());
    for (String mode : new String[] {"none", "client"}) {
      assertEquals(
          0.5,
          SimulationConfig.of(
                  Map.of("privacy.mode", mode), Map.of("client.max_grad_norm", "0.5"), "r")
              .maxGradNorm());
    }
  }

  /**
   * config.json holds every key, client.max_grad_norm included: a sample-level run started now, or
   * under 0.1.0 (a test resource), or before this check with the key set, resumes.
   */
  @Test
  void savedConfigJsonStillLoads() throws IOException {
    SimulationConfig now = SimulationConfig.of(Map.of("privacy.mode", "sample"), Map.of(), "r");
    assertEquals(now.values(), SimulationConfig.fromJson(now.toJson()).values());
    JsonObject o = JsonParser.parseString(now.toJson()).getAsJsonObject();
    o.addProperty("client.max_grad_norm", 0.5);
    assertEquals(0.5, SimulationConfig.fromJson(o.toString()).maxGradNorm());
    try (InputStream in =
        SampleDpMaxGradNormTest.class.getResourceAsStream(
            "/org/fedpeft/run/config-v0.1.0-dp-sample.json")) {
      SimulationConfig old =
          SimulationConfig.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      assertEquals("sample", old.privacyMode());
      assertEquals(1.0, old.maxGradNorm());
    }
  }
}
