package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A resumed run computes in the precision {@code auto} resolved to when the run was created. */
class StartPrecisionTest {

  @TempDir Path out;

  private static String precisionOf(String json) {
    return JsonParser.parseString(json).getAsJsonObject().get("model.precision").getAsString();
  }

  @Test
  void autoBecomesWhatTheManifestRecorded() throws IOException {
    String config = "{\"rounds\": 3, \"model.precision\": \"auto\"}";
    // Whatever this machine would pick: the manifest's word wins.
    for (String label : new String[] {"bf16", "fp32"}) {
      Files.writeString(
          out.resolve("manifest.json"),
          "{\"precision\": \"" + label + " (auto: recorded on another machine)\"}");
      assertEquals(label, precisionOf(Simulation.withStartPrecision(config, out)));
    }
  }

  @Test
  void explicitSettingsAndFoldersWithoutAManifestAreLeftAlone() throws IOException {
    String bf16 = "{\"model.precision\": \"bf16\"}";
    Files.writeString(out.resolve("manifest.json"), "{\"precision\": \"fp32\"}");
    assertEquals(bf16, Simulation.withStartPrecision(bf16, out));
    String auto = "{\"model.precision\": \"auto\"}";
    assertEquals(auto, Simulation.withStartPrecision(auto, out.resolve("empty")));
  }

  @Test
  void aManifestThatDoesNotSayIsAnErrorNamingIt() throws IOException {
    Files.writeString(out.resolve("manifest.json"), "{\"precision\": \"fp16\"}");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Simulation.withStartPrecision("{\"model.precision\": \"auto\"}", out));
    assertTrue(e.getMessage().startsWith(out.resolve("manifest.json").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("\"fp16\""), e.getMessage());
  }
}
