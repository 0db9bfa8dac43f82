package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resumed run computes in the precision {@code auto} resolved to when the run was created, as its
 * manifest.json (read once by the resume) records it.
 */
class StartPrecisionTest {

  @TempDir Path out;

  private static String precisionOf(String json) {
    return JsonParser.parseString(json).getAsJsonObject().get("model.precision").getAsString();
  }

  private static JsonObject manifest(String json) {
    return JsonParser.parseString(json).getAsJsonObject();
  }

  @Test
  void autoBecomesWhatTheManifestRecorded() {
    String config = "{\"rounds\": 3, \"model.precision\": \"auto\"}";
    // Whatever this machine would pick: the manifest's word wins.
    for (String label : new String[] {"bf16", "fp32"}) {
      JsonObject manifest =
          manifest("{\"precision\": \"" + label + " (auto: recorded on another machine)\"}");
      assertEquals(label, precisionOf(RunInputs.withStartPrecision(config, manifest, out)));
    }
  }

  @Test
  void explicitSettingsAndFoldersWithoutAManifestAreLeftAlone() {
    String bf16 = "{\"model.precision\": \"bf16\"}";
    JsonObject fp32 = manifest("{\"precision\": \"fp32\"}");
    assertEquals(bf16, RunInputs.withStartPrecision(bf16, fp32, out));
    String auto = "{\"model.precision\": \"auto\"}";
    assertEquals(auto, RunInputs.withStartPrecision(auto, null, out));
  }

  @Test
  void aManifestThatDoesNotSayIsAnErrorNamingIt() {
    JsonObject fp16 = manifest("{\"precision\": \"fp16\"}");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RunInputs.withStartPrecision("{\"model.precision\": \"auto\"}", fp16, out));
    assertTrue(e.getMessage().startsWith(out.resolve("manifest.json").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("\"fp16\""), e.getMessage());
  }
}
