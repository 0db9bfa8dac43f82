package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 5 December: Ravan's and Fed-SB's {@code factors} file was read only when the adapter was
 * made, after the model had loaded, so a missing, unreadable or garbled file passed the checks
 * {@code train} and {@code simulate} make before the model. Both refuse it now before the model
 * loads (a model folder that does not exist would be the error otherwise), naming the option as the
 * user wrote it and the file, and leave no run folder behind. Fails on the old code.
 */
class FactorsFileRefusedBeforeModelCliTest {

  @TempDir Path tmp;

  /** A missing file, a garbled one and a folder. */
  private List<Path> badFiles() throws Exception {
    Path garbled = Files.writeString(tmp.resolve("garbled.safetensors"), "not safetensors");
    Path folder = Files.createDirectory(tmp.resolve("folder.safetensors"));
    return List.of(tmp.resolve("missing.safetensors"), garbled, folder);
  }

  @Test
  void trainRefusesTheFileBeforeTheModel() throws Exception {
    for (String method : List.of("ravan", "fed-sb")) {
      for (Path file : badFiles()) {
        CliRun.Result r = CliRun.trainWithoutModel(tmp, method, "factors=" + file);
        assertEquals(2, r.code(), r.err());
        String first = r.err().strip().lines().findFirst().orElse("");
        assertTrue(
            first.startsWith(
                "fedpeft train: --adapter-options factors=" + file + ": cannot read it ("),
            first);
        assertFalse(Files.exists(tmp.resolve("out")), method + " " + file);
      }
      Files.delete(tmp.resolve("garbled.safetensors"));
      Files.delete(tmp.resolve("folder.safetensors"));
    }
  }

  @Test
  void simulateRefusesTheFileBeforeTheModel() throws Exception {
    Path data = CliRun.animalsAndFood(tmp.resolve("train.jsonl"), 10);
    for (Path file : badFiles()) {
      Path out = tmp.resolve("out");
      CliRun.Result r =
          CliRun.smallSimulate(
              tmp.resolve("run.toml"),
              out,
              tmp.resolve("no-model"),
              data,
              "[adapter]\nmethod = \"ravan\"\nfactors = \"" + file + "\"\n");
      assertEquals(2, r.code(), r.err());
      String first = r.err().strip().lines().findFirst().orElse("");
      assertTrue(
          first.startsWith("fedpeft simulate: adapter.factors = " + file + ": cannot read it ("),
          first);
      assertFalse(Files.exists(out), file.toString());
    }
  }
}
