package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
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
   * the old LoRA weights, and eval scored that mix". A save that fails after writing the head
   * leaves the previous adapter folder exactly as it was.
   */
  @Test
  void adapterSaveFailingMidWriteLeavesTheOldAdapterWhole() throws Exception {
    Path dir = tmp.resolve("adapter");
    AdapterFiles.save(dir, null, head(1f), List.of("a", "b"), "base", new JsonObject());
    byte[] oldHead = Files.readAllBytes(dir.resolve(AdapterFiles.HEAD_FILE));
    byte[] oldConfig = Files.readAllBytes(dir.resolve("adapter_config.json"));
    // The head is written first; this adapter cannot be saved, so the save fails after it.
    Adapter unsaveable =
        new Adapter() {
          @Override
          public String method() {
            return "unsaveable";
          }

          @Override
          public List<AdapterTensor> tensors() {
            return List.of();
          }

          @Override
          public boolean isEnabled() {
            return true;
          }

          @Override
          public void setEnabled(boolean enabled) {}

          @Override
          public void close() {}
        };
    assertThrows(
        UnsupportedOperationException.class,
        () ->
            AdapterFiles.save(
                dir, unsaveable, head(2f), List.of("a", "b"), "base", new JsonObject()));
    assertArrayEquals(oldHead, Files.readAllBytes(dir.resolve(AdapterFiles.HEAD_FILE)));
    assertArrayEquals(oldConfig, Files.readAllBytes(dir.resolve("adapter_config.json")));
    assertEquals(1f, AdapterFiles.read(dir).headTensors().get("head.weight").data()[0]);
    try (var s = Files.list(tmp)) {
      assertEquals(List.of("adapter"), s.map(p -> p.getFileName().toString()).toList());
    }
  }
}
