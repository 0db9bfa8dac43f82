package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 3 December: adapter options that pass their schema but not the method's own
 * reader (FedBE's positions "x", or fewer positions than blocks) were refused with the method's
 * wording ("fedbe: option 'positions'"), without the file and line, and for some only once the run
 * folder was made. The config now refuses them, naming the key as the config writes it and where it
 * was set.
 */
class AdapterOptionsCheckedByConfigTest {

  @TempDir Path tmp;

  private Path write(String toml) throws IOException {
    return Files.writeString(tmp.resolve("run.toml"), toml);
  }

  @Test
  void aPositionThatIsNoIntegerIsNamedAsTheConfigWritesIt() throws IOException {
    Path f =
        write(
            "rounds = 2\n[adapter]\nmethod = \"fedbe\"\npositions = [\"0\", \"x\"]\n"
                + "[server]\nstrategy = \"fedbe\"\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(f + ":4: adapter.positions = 0+x: x is no integer", e.getMessage());
  }

  @Test
  void aCheckAcrossOptionsNamesWhereTheyWereSet() throws IOException {
    Path f =
        write(
            "rounds = 2\n[adapter]\nmethod = \"fedbe\"\nblocks = 3\npositions = [0, 1]\n"
                + "[server]\nstrategy = \"fedbe\"\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> SimulationConfig.load(f, Map.of()));
    assertEquals(
        f
            + ":4, "
            + f
            + ":5: adapter.method = \"fedbe\": fedbe: positions lists 2 positions [0, 1] but"
            + " blocks = 3 (give one position per new block)",
        e.getMessage());
  }
}
