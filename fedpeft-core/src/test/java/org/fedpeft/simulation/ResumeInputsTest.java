package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.run.SimulationConfig;
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

  /**
   * QA, 5 December: a key written twice in config.json (an edit that added a line instead of
   * changing one) was refused naming the file and the key but not where the second one is, in a
   * file of a line a key; the line and column of the second occurrence are given. Fails on the old
   * code.
   */
  @Test
  void aRepeatedKeyInConfigJsonIsRefusedNamingItsLine() throws IOException {
    Path cfgFile = run.resolve("config.json");
    String pretty =
        new GsonBuilder()
            .setPrettyPrinting()
            .create()
            .toJson(JsonParser.parseString(Files.readString(cfgFile)));
    List<String> lines = new ArrayList<>(List.of(pretty.split("\n")));
    int line = 1;
    while (!lines.get(line - 1).startsWith("  \"rounds\": ")) {
      line++;
    }
    lines.add(line, lines.get(line - 1)); // the second one on the next line
    Files.write(cfgFile, lines);
    assertEquals(
        cfgFile + ": duplicate key 'rounds' at line " + (line + 1) + " column 4",
        assertThrows(IllegalArgumentException.class, () -> RunInputs.resumedConfig(run))
            .getMessage());
  }

  /**
   * QA, 5 December: a partition.json with a repeated key (hand-edited) was read only for
   * report.html once the resumed rounds were done: the resume ran them, wrote summary.json and then
   * exited 2 naming the file. It is refused before the rounds now, naming its line and column.
   * Fails on the old code.
   */
  @Test
  void aRepeatedKeyInPartitionJsonIsRefusedBeforeTheRounds() throws IOException {
    Path partition = run.resolve("partition.json");
    Files.writeString(partition, "{\"labels\": [\"a\"],\n \"labels\": [\"b\"], \"clients\": {}}\n");
    assertEquals(partition + ": duplicate key 'labels' at line 2 column 3", refusal());
  }

  /**
   * QA, 5 December: so was a timings.jsonl line with a repeated key, which report.html also reads
   * strictly after the rounds. Fails on the old code. (A last line that is not JSON is taken as cut
   * by a kill, and dropped: CutTimingsLineResumeTest.)
   */
  @Test
  void aRepeatedKeyInATimingsLineIsRefusedBeforeTheRounds() throws IOException {
    Path timings = run.resolve("timings.jsonl");
    Files.writeString(
        timings,
        "{\"round\":1,\"round_seconds\":0.5}\n\n{\"round\":2,\"round\":2,\"round_seconds\":0.5}\n"
            + "{\"round\":3,\"round_seconds\":0.5}\n");
    assertEquals(timings + ": line 3: duplicate key 'round' at column 13", refusal());
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

  /**
   * Leftovers, 5 December: a config.json edited to a value this version refuses was reported as
   * "the run's config was accepted when the run started but this version refuses it", which is only
   * true of the config the run started with; an edited one is named as changed since the start,
   * with every changed key and both values, beside the reason the value is refused.
   */
  @Test
  void anEditedConfigJsonThatIsRefusedIsNamedAsChangedWithItsKeys() throws IOException {
    for (String rounds : new String[] {"abc", "0"}) {
      startedRun();
      edit("rounds", rounds);
      String m = refusal();
      assertTrue(
          m.startsWith(
              run.resolve("config.json")
                  + ": changed since the run started: rounds is \""
                  + rounds
                  + "\", but manifest.json recorded 2 when the run started; this version refuses"
                  + " the changed config (config.json: rounds"),
          m);
      assertTrue(m.endsWith("restore the value, or start a new run"), m);
      assertFalse(m.contains("accepted when the run started"), m);
    }
    startedRun();
    edit("client.learning_rate", "0.01");
    edit("rounds", "0");
    String m = refusal();
    assertTrue(
        m.contains(
            ": changed since the run started: client.learning_rate is \"0.01\", but manifest.json"
                + " recorded 0.001 when the run started; rounds is \"0\", but manifest.json"
                + " recorded 2 when the run started; this version refuses"),
        m);
  }

  /**
   * A run killed while it was starting has no manifest.json to compare config.json with: a value
   * this version refuses keeps the wording of a config accepted at the start (guards the branch
   * kept).
   */
  @Test
  void aRefusedConfigOfARunKilledWhileStartingKeepsTheStartWording() throws IOException {
    edit("rounds", "0");
    Files.delete(run.resolve("manifest.json"));
    String m = refusal();
    assertTrue(
        m.startsWith(
            run.resolve("config.json")
                + ": the run's config was accepted when the run started but this version refuses"
                + " it"),
        m);
  }
}
