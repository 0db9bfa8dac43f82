package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.RandomBert;
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
    byte[] oldConfig = Files.readAllBytes(dir.resolve(AdapterFiles.CONFIG_FILE));
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
    assertArrayEquals(oldConfig, Files.readAllBytes(dir.resolve(AdapterFiles.CONFIG_FILE)));
    assertEquals(1f, AdapterFiles.read(dir).headTensors().get("head.weight").data()[0]);
    try (var s = Files.list(tmp)) {
      assertEquals(List.of("adapter"), s.map(p -> p.getFileName().toString()).toList());
    }
  }

  /**
   * A fedpeft_adapter.json that is not UTF-8 is bad input naming the file and the byte (an
   * IllegalArgumentException), not a bare MalformedInputException ("Input length = 1").
   */
  @Test
  void anAdapterConfigThatIsNotUtf8IsNamed() throws Exception {
    Path dir = tmp.resolve("latin1");
    AdapterFiles.save(dir, null, 0, head(1f), List.of("a", "b"), "base", new JsonObject());
    Path config = dir.resolve(AdapterFiles.CONFIG_FILE);
    Files.write(config, "{\"format\": \"\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AdapterFiles.read(dir));
    assertEquals(config + ": not valid UTF-8 (byte 13 of the file)", e.getMessage());
  }

  /**
   * The folder records the precision the frozen base computed in while the adapter trained; a
   * folder written without it (before it was recorded) reads as recording none, and a value other
   * than fp32 or bf16 is refused naming the file.
   */
  @Test
  void theTrainingPrecisionIsRecordedAndOptional() throws Exception {
    Path bf16 = tmp.resolve("bf16");
    AdapterFiles.save(
        bf16,
        null,
        0,
        head(1f),
        List.of("a", "b"),
        Map.of(),
        tinyModel(null).withPrecision(new Precision.Choice("bf16", Precision.BF16, "")),
        new JsonObject(),
        folder -> {});
    assertEquals(Precision.BF16, AdapterFiles.read(bf16).precision());

    Path old = tmp.resolve("old");
    AdapterFiles.save(old, null, 0, head(1f), List.of("a", "b"), "base", new JsonObject());
    assertFalse(Files.readString(old.resolve(AdapterFiles.CONFIG_FILE)).contains("precision"));
    assertNull(AdapterFiles.read(old).precision());

    Path config = bf16.resolve(AdapterFiles.CONFIG_FILE);
    Files.writeString(config, Files.readString(config).replace("\"bf16\"", "\"fp16\""));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AdapterFiles.read(bf16));
    assertEquals(config + ": precision \"fp16\" is not fp32 or bf16", e.getMessage());
  }

  /** A tiny random model, as read from {@code folder} (null: made in memory). */
  private static PretrainedModel tinyModel(Path folder) {
    PretrainedModel m = RandomBert.tiny("{}".getBytes(StandardCharsets.UTF_8), 30, 4);
    return new PretrainedModel(
        "tiny", m.weights(), m.tokenizerJson(), m.maxSeqLength(), m.precision(), folder);
  }

  /**
   * The folder records what its base model is: its name, digest and, for a model read from a
   * folder, that folder's absolute path, which {@link AdapterFiles#baseModelFolder} reads back; a
   * model made in memory (as the bundled one) records no folder, and the caller's {@code extra} is
   * left as it was.
   */
  @Test
  void theBaseModelsFolderAndDigestAreRecorded() throws Exception {
    Path modelDir = tmp.resolve("models").resolve("tiny").toAbsolutePath();
    JsonObject extra = new JsonObject();
    extra.addProperty("task", "t");
    Path withFolder = tmp.resolve("with-folder");
    AdapterFiles.save(
        withFolder,
        null,
        0,
        head(1f),
        List.of("a", "b"),
        Map.of(),
        tinyModel(modelDir),
        extra,
        folder -> {});
    assertEquals(1, extra.size(), "the caller's extra is not changed: " + extra);
    AdapterFiles.Saved saved = AdapterFiles.read(withFolder);
    assertEquals("tiny", saved.baseModel());
    assertEquals(
        tinyModel(null).sha256(), saved.extra().get(AdapterFiles.BASE_MODEL_SHA256).getAsString());
    assertEquals(modelDir, AdapterFiles.baseModelFolder(withFolder, saved).orElseThrow());

    Path inMemory = tmp.resolve("in-memory");
    AdapterFiles.save(
        inMemory,
        null,
        0,
        head(1f),
        List.of("a", "b"),
        Map.of(),
        tinyModel(null),
        extra,
        folder -> {});
    AdapterFiles.Saved none = AdapterFiles.read(inMemory);
    assertTrue(none.extra().has(AdapterFiles.BASE_MODEL_SHA256));
    assertTrue(AdapterFiles.baseModelFolder(inMemory, none).isEmpty());

    Path config = withFolder.resolve(AdapterFiles.CONFIG_FILE);
    Files.writeString(
        config,
        Files.readString(config)
            .replace("\"" + AdapterFiles.BASE_MODEL_PATH + "\": \"", "\"base_model_path\": [\""));
    Files.writeString(config, Files.readString(config).replace("tiny\"\n", "tiny\"]\n"));
    AdapterFiles.Saved damaged = AdapterFiles.read(withFolder);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AdapterFiles.baseModelFolder(withFolder, damaged));
    assertTrue(
        e.getMessage().startsWith(config + ": field \"extra.base_model_path\" must be a string"),
        e.getMessage());
  }

  /**
   * The PEFT export's base_model_name_or_path is what PEFT can load the base from: the model's
   * folder, or the bundled model's Hub id (it said "all-minilm-l6-v2", which PEFT cannot load).
   */
  @Test
  void thePeftBaseModelIsTheFolderOrTheBundledModelsHubId() {
    Path folder = tmp.resolve("models").resolve("my-bert").toAbsolutePath();
    assertEquals(folder.toString(), AdapterFiles.peftBaseModel("my-bert", folder));
    assertEquals(folder.toString(), AdapterFiles.peftBaseModel(PretrainedModel.DEFAULT, folder));
    assertEquals(
        "sentence-transformers/all-MiniLM-L6-v2",
        AdapterFiles.peftBaseModel(PretrainedModel.DEFAULT, null));
    assertEquals("tiny", AdapterFiles.peftBaseModel("tiny", null));
  }
}
