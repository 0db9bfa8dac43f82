package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start or a resume that fails after the model is loaded frees it: the caller gets no {@link
 * Simulation} to close, so whatever step threw (the constructor's own checks, the first files a
 * start writes, what a resume reads and tidies: metrics.jsonl, the checkpoint's state files) must
 * close what was opened. Seen from the engine: the arrays alive in it are as many after the failed
 * call as before.
 */
class FailedOpenFreesModelTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 40);
  }

  private static SimulationConfig config(Map<String, String> extra) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "2");
    o.put("clients", "2");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("model.name", model.toString());
    o.put("adapter.rank", "2");
    o.put("client.local_steps", "1");
    o.put("client.batch_size", "4");
    o.putAll(extra);
    return SimulationConfig.of(Map.of(), o, "test");
  }

  /** The arrays alive in the engine, in every manager not yet closed. */
  private static int liveArrays() {
    try (NDManager probe = Engines.pytorch().newBaseManager()) {
      return probe.getParentManager().getManagedArrays().size();
    }
  }

  /**
   * Makes {@code path} a folder that holds a file: no file can replace it, nor can it be deleted.
   */
  private static void blockWith(Path path) throws IOException {
    Files.createDirectories(path);
    Files.writeString(path.resolve("keep"), "x");
  }

  @Test
  void aResumeWhoseMetricsFileCannotBeRewrittenFreesTheModel() throws Exception {
    Path out = tmp.resolve("metrics");
    Simulation.create(config(Map.of()), out).close();
    blockWith(out.resolve("metrics.jsonl"));
    int before = liveArrays();
    assertThrows(DirectoryNotEmptyException.class, () -> Simulation.resume(out));
    assertEquals(before, liveArrays(), "arrays left alive by the failed resume");
  }

  @Test
  void aResumeWhoseLeftoverStateFileCannotBeDeletedFreesTheModel() throws Exception {
    Path out = tmp.resolve("leftover");
    SimulationConfig c = config(Map.of());
    TinyRuns.stopAfterRound(c, out, 1);
    // A name the checkpoint does not give, as a killed checkpoint's file would have.
    blockWith(out.resolve("checkpoint/local").resolve("0".repeat(64) + ".safetensors"));
    int before = liveArrays();
    assertThrows(DirectoryNotEmptyException.class, () -> Simulation.resume(out));
    assertEquals(before, liveArrays(), "arrays left alive by the failed resume");
  }

  @Test
  void aStartThatCannotWriteItsPartitionFreesTheModel() throws Exception {
    Path out = tmp.resolve("partition");
    blockWith(out.resolve("partition.json"));
    int before = liveArrays();
    assertThrows(IOException.class, () -> Simulation.create(config(Map.of()), out));
    assertEquals(before, liveArrays(), "arrays left alive by the failed start");
  }

  @Test
  void aRefusalFoundOnceTheModelIsLoadedFreesIt() throws Exception {
    int before = liveArrays();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Simulation.create(config(Map.of("head.init", "documents")), tmp.resolve("head")));
    assertTrue(e.getMessage().contains("head.init = \"documents\""), e.getMessage());
    assertEquals(before, liveArrays(), "arrays left alive by the refused start");
  }
}
