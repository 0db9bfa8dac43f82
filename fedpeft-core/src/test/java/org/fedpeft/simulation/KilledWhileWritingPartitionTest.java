package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run killed while {@link Simulation#start} wrote partition.json (after config.json, before
 * manifest.json) holds AtomicFiles' temporary sibling of partition.json: it is still a run killed
 * while starting, which {@code --resume} starts again, not one refused for its missing
 * manifest.json. Any other file still makes the folder something else.
 */
class KilledWhileWritingPartitionTest {

  @Test
  void aLeftoverTemporaryPartitionFileIsPartOfAStart(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), "{}\n");
    Path temp = dir.resolve(AtomicFiles.siblingPrefix(Path.of("partition.json")) + "1f2e3d.tmp");
    Files.writeString(temp, "{\"labels\":");
    assertTrue(Simulation.killedWhileStarting(dir));

    Files.writeString(dir.resolve("notes.txt"), "mine\n");
    assertFalse(Simulation.killedWhileStarting(dir));
  }

  @Test
  void anotherFilesTemporaryIsNot(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), "{}\n");
    Files.writeString(
        dir.resolve(AtomicFiles.siblingPrefix(Path.of("manifest.json")) + "1f2e3d.tmp"), "{");
    assertFalse(Simulation.killedWhileStarting(dir));
  }
}
