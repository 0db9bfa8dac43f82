package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.io.Sha256;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data file of a run is hashed once, when the run starts (manifest.json's {@code data.files});
 * the adapter's record of a file none of whose examples was held out is that hash, not a second
 * reading of the file at the end, which could be another file than the one that trained.
 */
class DataFileHashTest {

  @TempDir Path tmp;

  @Test
  void theAdapterRecordsTheHashTheRunStartedWith() throws Exception {
    Path model = TinyRuns.model(tmp.resolve("tiny"));
    Path data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 40);
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "1");
    o.put("clients", "2");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.split", "none");
    o.put("model.name", model.toString());
    o.put("adapter.rank", "2");
    o.put("client.local_steps", "1");
    o.put("client.batch_size", "4");
    SimulationConfig config = SimulationConfig.of(Map.of(), o, "test");
    Path out = tmp.resolve("run");
    String atStart = Sha256.of(data);
    try (Simulation sim = Simulation.create(config, out)) {
      // The file changes after the run read it: the run trains on what it read at the start.
      Files.writeString(
          data, "{\"text\": \"a later line\", \"label\": \"t0\"}\n", StandardOpenOption.APPEND);
      assertNotEquals(atStart, Sha256.of(data));
      sim.run(new Simulation.Listener() {});
    }
    String recorded =
        JsonParser.parseString(Files.readString(out.resolve("manifest.json")))
            .getAsJsonObject()
            .getAsJsonObject("data")
            .getAsJsonObject("files")
            .get(data.toString())
            .getAsString();
    assertEquals(atStart, recorded);
    assertEquals(
        atStart,
        AdapterFiles.read(out.resolve("adapter"))
            .extra()
            .get(AdapterFiles.FULLY_USED_FILE_SHA256)
            .getAsString());
  }
}
