package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resume continues the run that started: config.json must resolve to the config manifest.json
 * recorded at the start, and manifest.json must be there (user audit, 3 December: an edited
 * client.learning_rate or rounds in config.json was used silently, and a deleted manifest.json
 * skipped the data hash check). Every check here runs before the model or any data is read, so the
 * run folders are written by hand.
 */
class ResumeInputsTest {

  @TempDir Path run;

  private SimulationConfig config;

  @BeforeEach
  void startedRun() throws IOException {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "2");
    o.put("data.file", run.resolve("data.jsonl").toString());
    o.put("adapter.rank", "2");
    o.put("client.learning_rate", "0.001");
    config = SimulationConfig.of(Map.of(), o, "test");
    StartedRunFolder.write(run, JsonParser.parseString(config.toJson()).getAsJsonObject());
  }

  private void edit(String key, String value) throws IOException {
    JsonObject c =
        JsonParser.parseString(Files.readString(run.resolve("config.json"))).getAsJsonObject();
    c.addProperty(key, value);
    Files.writeString(run.resolve("config.json"), c.toString());
  }

  private String refusal() {
    return assertThrows(IllegalArgumentException.class, () -> Simulation.resume(run)).getMessage();
  }

  @Test
  void theConfigTheRunStartedWithIsResumed() throws IOException {
    assertEquals(config.values(), RunInputs.resumedConfig(run).values());
  }

  @Test
  void anEditedConfigJsonIsRefusedNamingTheKeyAndBothValues() throws IOException {
    edit("client.learning_rate", "0.01");
    String m = refusal();
    assertTrue(
        m.startsWith(
            run.resolve("config.json")
                + ": client.learning_rate is 0.01, but manifest.json recorded 0.001 when the run"
                + " started"),
        m);
    assertTrue(!m.contains("\n"), "one line: " + m);
  }

  /** docs/config.md: a resume continues the same run; more rounds are a new run. */
  @Test
  void moreRoundsAreRefusedLikeAnyOtherChange() throws IOException {
    edit("rounds", "5");
    String m = refusal();
    assertTrue(m.contains("config.json: rounds is 5, but manifest.json recorded 2"), m);
  }

  @Test
  void aKeyAddedToConfigJsonIsRefused() throws IOException {
    edit("adapter.alpha", "4");
    String m = refusal();
    assertTrue(m.contains("adapter.alpha is "), m);
    assertTrue(m.contains("manifest.json recorded unset"), m);
  }

  @Test
  void aMissingManifestIsRefusedNamingIt() throws IOException {
    // Past its start (a run killed while starting, with config.json alone, starts again).
    Files.writeString(run.resolve("metrics.jsonl"), "{\"round\": 1}\n");
    Files.delete(run.resolve("manifest.json"));
    String m = refusal();
    assertTrue(m.startsWith(run.resolve("manifest.json") + ": missing"), m);
  }

  @Test
  void anUnreadableManifestIsRefusedNamingIt() throws IOException {
    Path manifest = run.resolve("manifest.json");
    for (String text : new String[] {"{\"config\": ", "[1, 2]", "{\"seed\": 5}"}) {
      Files.writeString(manifest, text);
      String m = refusal();
      assertTrue(m.startsWith(manifest + ": "), text + ": " + m);
    }
    Files.delete(manifest);
    Files.createDirectory(manifest);
    assertTrue(refusal().startsWith(manifest + ": "));
  }
}
