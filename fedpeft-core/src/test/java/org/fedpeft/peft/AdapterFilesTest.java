package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterFilesTest {

  @TempDir Path tmp;

  private static Map<String, HostTensor> head(float value) {
    HostTensor w = HostTensor.zeros(2, 4);
    java.util.Arrays.fill(w.data(), value);
    return Map.of("head.weight", w, "head.bias", HostTensor.zeros(2));
  }

  /**
   * Issue 15: "an adapter folder is written one file at a time: a full disk left a new head next to
   * the old LoRA weights, and eval scored that mix". A save that fails after writing the head (and
   * every other file) leaves the previous adapter folder exactly as it was.
   */
  @Test
  void adapterSaveFailingMidWriteLeavesTheOldAdapterWhole() throws Exception {
    Path dir = tmp.resolve("adapter");
    AdapterFiles.save(dir, null, 0, head(1f), List.of("a", "b"), "base", new JsonObject());
    byte[] oldHead = Files.readAllBytes(dir.resolve(AdapterFiles.HEAD_FILE));
    byte[] oldConfig = Files.readAllBytes(dir.resolve("adapter_config.json"));
    // Every file of the new folder is written, then the disk "fills up" before the folder is done.
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AdapterFiles.save(
                    dir,
                    null,
                    0,
                    head(2f),
                    List.of("a", "b"),
                    "base",
                    new JsonObject(),
                    folder -> {
                      assertTrue(Files.exists(folder.resolve(AdapterFiles.HEAD_FILE)));
                      throw new IOException("No space left on device");
                    }));
    assertEquals("No space left on device", e.getMessage());
    assertArrayEquals(oldHead, Files.readAllBytes(dir.resolve(AdapterFiles.HEAD_FILE)));
    assertArrayEquals(oldConfig, Files.readAllBytes(dir.resolve("adapter_config.json")));
    assertEquals(1f, AdapterFiles.read(dir).headTensors().get("head.weight").data()[0]);
    try (var s = Files.list(tmp)) {
      assertEquals(List.of("adapter"), s.map(p -> p.getFileName().toString()).toList());
    }
  }
}
