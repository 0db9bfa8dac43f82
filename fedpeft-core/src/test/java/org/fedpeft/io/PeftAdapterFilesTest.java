package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.fedpeft.peft.PeftNames;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PeftAdapterFilesTest {

  @TempDir Path dir;

  private static final int HIDDEN = 16;

  static HostTensor random(Random random, long... shape) {
    HostTensor t = HostTensor.zeros(shape);
    for (int i = 0; i < t.data().length; i++) {
      t.data()[i] = (float) random.nextGaussian();
    }
    return t;
  }

  static PeftAdapterConfig config(int r) {
    return PeftAdapterConfig.builder(r, 2 * r, List.of("query", "value"))
        .taskType("SEQ_CLS")
        .baseModelNameOrPath("sentence-transformers/all-MiniLM-L6-v2")
        .modulesToSave(List.of("classifier"))
        .loraDropout(0.1)
        .build();
  }

  /** LoRA on query/value of two layers plus a classifier head, named as PEFT saves them. */
  static Map<String, HostTensor> tensors(int r, String prefix) {
    Random random = new Random(11);
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (int layer = 0; layer < 2; layer++) {
      for (String module : List.of("query", "value")) {
        m.put(PeftNames.loraKey(prefix, layer, module, "lora_A"), random(random, r, HIDDEN));
        m.put(PeftNames.loraKey(prefix, layer, module, "lora_B"), random(random, HIDDEN, r));
      }
    }
    m.put(PeftNames.savedModuleKey("classifier.weight"), random(random, 3, HIDDEN));
    m.put(PeftNames.savedModuleKey("classifier.bias"), random(random, 3));
    return m;
  }

  private static String configPathMessage(Path file, String problem) {
    return file + ": " + problem;
  }

  @Test
  void writeThenReadIsExact() throws IOException {
    PeftAdapterConfig config = config(4);
    Map<String, HostTensor> tensors = tensors(4, "bert.");
    Path adapter = dir.resolve("adapter");
    PeftAdapterFiles.write(adapter, config, tensors);

    assertTrue(Files.isRegularFile(adapter.resolve("adapter_config.json")));
    assertEquals(
        config.toJsonString(), Files.readString(adapter.resolve(PeftAdapterFiles.CONFIG_FILE)));
    SafetensorsFile weights = Safetensors.read(adapter.resolve("adapter_model.safetensors"));
    assertEquals(Map.of("format", "pt"), weights.metadata());
    assertTrue(
        weights
            .names()
            .contains("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight"));

    PeftAdapter read = PeftAdapterFiles.read(adapter);
    assertEquals(config, read.config());
    assertEquals(config.toJson(), read.config().toJson());
    SafetensorsRoundTripTest.assertBitExact(tensors, read.tensors());
    assertEquals(new PeftAdapter(config, tensors), read);

    try (var files = Files.list(adapter)) {
      assertEquals(2, files.count(), "no temporary files left behind");
    }
  }

  @Test
  void unknownConfigFieldsSurviveARoundTrip() throws IOException {
    Path source = dir.resolve("from-hub");
    Files.createDirectories(source);
    JsonObject json = JsonParser.parseString(PeftAdapterConfigTest.PEFT_WRITTEN).getAsJsonObject();
    json.addProperty("r", 4);
    json.add("some_future_field", JsonParser.parseString("{\"x\": [1, 2.5, null], \"y\": \"z\"}"));
    json.add("fedpeft", JsonParser.parseString("{\"method\": \"dual\", \"local_rank\": 2}"));
    Files.writeString(source.resolve(PeftAdapterFiles.CONFIG_FILE), json.toString());
    Safetensors.write(
        source.resolve(PeftAdapterFiles.WEIGHTS_FILE), tensors(4, ""), Map.of("format", "pt"));

    PeftAdapter first = PeftAdapterFiles.read(source);
    assertEquals(
        JsonParser.parseString("{\"x\": [1, 2.5, null], \"y\": \"z\"}"),
        first.config().unknownFields().get("some_future_field"));
    assertTrue(first.config().unknownFields().has("megatron_core"));
    assertEquals(
        JsonParser.parseString("{\"method\": \"dual\", \"local_rank\": 2}"),
        first.config().fedpeft());

    Path copy = dir.resolve("copy");
    PeftAdapterFiles.write(copy, first);
    PeftAdapter second = PeftAdapterFiles.read(copy);
    assertEquals(json, second.config().toJson());
    assertEquals(first, second);
    String text = Files.readString(copy.resolve(PeftAdapterFiles.CONFIG_FILE));
    assertTrue(text.contains("\"some_future_field\": {"), text);
    assertTrue(text.contains("\"megatron_core\": \"megatron.core\""), text);
  }

  @Test
  void rankPatternDecidesTheExpectedShape() throws IOException {
    PeftAdapterConfig config =
        config(4).toBuilder()
            .rankPattern(Map.of("encoder.layer.1.attention.self.value", 2))
            .build();
    Map<String, HostTensor> tensors = new LinkedHashMap<>(tensors(4, ""));
    Random random = new Random(1);
    tensors.put(PeftNames.loraKey(1, "value", "lora_A"), random(random, 2, HIDDEN));
    tensors.put(PeftNames.loraKey(1, "value", "lora_B"), random(random, HIDDEN, 2));
    PeftAdapterFiles.write(dir.resolve("a"), config, tensors);
    assertEquals(config, PeftAdapterFiles.read(dir.resolve("a")).config());

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PeftAdapterFiles.write(dir.resolve("b"), config, tensors(4, "")));
    assertTrue(e.getMessage().contains("with r = 2 (from rank_pattern)"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("b")), "nothing written for invalid tensors");
  }

  // ---------------------------------------------------------------- validation on read

  private Path validAdapter() throws IOException {
    Path adapter = dir.resolve("adapter");
    PeftAdapterFiles.write(adapter, config(4), tensors(4, ""));
    return adapter;
  }

  private static PeftFormatException assertRejected(Path adapter, Path file, String problem) {
    PeftFormatException e =
        assertThrows(PeftFormatException.class, () -> PeftAdapterFiles.read(adapter));
    assertTrue(
        e.getMessage().startsWith(file + ": "),
        "should start with " + file + ": " + e.getMessage());
    assertTrue(e.getMessage().contains(problem), "lacks '" + problem + "': " + e.getMessage());
    assertEquals(file, e.file());
    return e;
  }

  @Test
  void missingFolder() {
    Path adapter = dir.resolve("nope");
    assertRejected(adapter, adapter, "adapter folder does not exist");
  }

  @Test
  void folderIsAFile() throws IOException {
    Path adapter = Files.writeString(dir.resolve("file"), "x");
    assertRejected(adapter, adapter, "is not a folder");
  }

  @Test
  void missingConfigFile() throws IOException {
    Path adapter = validAdapter();
    Files.delete(adapter.resolve("adapter_config.json"));
    assertRejected(
        adapter,
        adapter.resolve("adapter_config.json"),
        "missing: an adapter folder needs adapter_config.json and adapter_model.safetensors");
  }

  @Test
  void missingWeightsFile() throws IOException {
    Path adapter = validAdapter();
    Files.delete(adapter.resolve("adapter_model.safetensors"));
    assertRejected(adapter, adapter.resolve("adapter_model.safetensors"), "missing");
  }

  @Test
  void pickleWeightsAreExplained() throws IOException {
    Path adapter = validAdapter();
    Files.move(adapter.resolve("adapter_model.safetensors"), adapter.resolve("adapter_model.bin"));
    assertRejected(
        adapter,
        adapter.resolve("adapter_model.safetensors"),
        "adapter_model.bin (PyTorch pickle), which is not supported");
  }

  @Test
  void configNotJson() throws IOException {
    Path adapter = validAdapter();
    Files.writeString(adapter.resolve("adapter_config.json"), "{\"r\": 8, \"lora_alpha\": ");
    assertRejected(adapter, adapter.resolve("adapter_config.json"), "not valid JSON");
  }

  @Test
  void configNotAnObject() throws IOException {
    Path adapter = validAdapter();
    Files.writeString(adapter.resolve("adapter_config.json"), "[\"LORA\"]");
    assertRejected(adapter, adapter.resolve("adapter_config.json"), "not a JSON object");
  }

  @Test
  void configNotUtf8() throws IOException {
    Path adapter = validAdapter();
    Files.write(adapter.resolve("adapter_config.json"), new byte[] {'{', (byte) 0xC3, '}'});
    assertRejected(adapter, adapter.resolve("adapter_config.json"), "not valid UTF-8");
  }

  @ParameterizedTest
  @ValueSource(strings = {"r", "lora_alpha", "target_modules", "peft_type"})
  void missingRequiredField(String field) throws IOException {
    Path adapter = validAdapter();
    JsonObject json = config(4).toJson();
    json.remove(field);
    Files.writeString(adapter.resolve("adapter_config.json"), json.toString());
    PeftFormatException e =
        assertRejected(
            adapter,
            adapter.resolve("adapter_config.json"),
            "missing required field '" + field + "'");
    assertEquals(
        configPathMessage(
            adapter.resolve("adapter_config.json"), "missing required field '" + field + "'"),
        e.getMessage());
  }

  @Test
  void loraATensorDoesNotMatchR() throws IOException {
    Path adapter = validAdapter();
    JsonObject json = config(4).toJson();
    json.addProperty("r", 8);
    Files.writeString(adapter.resolve("adapter_config.json"), json.toString());
    assertRejected(
        adapter,
        adapter.resolve("adapter_model.safetensors"),
        "tensor 'base_model.model.encoder.layer.0.attention.self.query.lora_A.weight' has shape"
            + " [4, 16], but lora_A must be [r, in_features] with r = 8");
  }

  @Test
  void loraBTensorDoesNotMatchR() throws IOException {
    Path adapter = dir.resolve("adapter");
    Map<String, HostTensor> tensors = new LinkedHashMap<>(tensors(4, ""));
    String b = PeftNames.loraKey(1, "query", "lora_B");
    tensors.put(b, HostTensor.zeros(HIDDEN, 3));
    Safetensors.write(adapter.resolve("adapter_model.safetensors"), tensors, null);
    AtomicFiles.writeString(adapter.resolve("adapter_config.json"), config(4).toJsonString());
    assertRejected(
        adapter,
        adapter.resolve("adapter_model.safetensors"),
        "tensor '" + b + "' has shape [16, 3], but lora_B must be [out_features, r] with r = 4");
  }

  @Test
  void loraTensorWithWrongRank() throws IOException {
    Path adapter = dir.resolve("adapter");
    Map<String, HostTensor> tensors = new LinkedHashMap<>(tensors(4, ""));
    String a = PeftNames.loraKey(0, "value", "lora_A");
    tensors.put(a, HostTensor.zeros(4 * HIDDEN));
    Safetensors.write(adapter.resolve("adapter_model.safetensors"), tensors, null);
    AtomicFiles.writeString(adapter.resolve("adapter_config.json"), config(4).toJsonString());
    assertRejected(
        adapter, adapter.resolve("adapter_model.safetensors"), "tensor '" + a + "' has shape [64]");
  }

  @Test
  void loraAWithoutLoraB() throws IOException {
    Path adapter = dir.resolve("adapter");
    Map<String, HostTensor> tensors = new LinkedHashMap<>(tensors(4, ""));
    tensors.remove(PeftNames.loraKey(1, "value", "lora_B"));
    Safetensors.write(adapter.resolve("adapter_model.safetensors"), tensors, null);
    AtomicFiles.writeString(adapter.resolve("adapter_config.json"), config(4).toJsonString());
    assertRejected(
        adapter,
        adapter.resolve("adapter_model.safetensors"),
        "tensor '"
            + PeftNames.loraKey(1, "value", "lora_A")
            + "' has no matching '"
            + PeftNames.loraKey(1, "value", "lora_B")
            + "'");
  }

  @Test
  void adapterNameLeftInTensorName() throws IOException {
    Path adapter = dir.resolve("adapter");
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put(
        "base_model.model.encoder.layer.0.attention.self.query.lora_A.default.weight",
        HostTensor.zeros(4, HIDDEN));
    Safetensors.write(adapter.resolve("adapter_model.safetensors"), tensors, null);
    AtomicFiles.writeString(adapter.resolve("adapter_config.json"), config(4).toJsonString());
    assertRejected(
        adapter,
        adapter.resolve("adapter_model.safetensors"),
        "still contains the adapter name 'default'");
  }

  @Test
  void corruptWeightsAreASafetensorsError() throws IOException {
    Path adapter = validAdapter();
    Path weights = adapter.resolve("adapter_model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 4));
    SafetensorsFormatException e =
        assertThrows(SafetensorsFormatException.class, () -> PeftAdapterFiles.read(adapter));
    assertTrue(e.getMessage().startsWith(weights + ": "), e.getMessage());
  }

  @Test
  void writeRejectsMismatchedTensorsAndKeepsThePreviousAdapter() throws IOException {
    Path adapter = validAdapter();
    byte[] before = Files.readAllBytes(adapter.resolve("adapter_model.safetensors"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PeftAdapterFiles.write(adapter, config(8), tensors(4, "")));
    assertTrue(e.getMessage().contains("with r = 8"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(adapter.resolve("adapter_model.safetensors")));
    assertEquals(config(4), PeftAdapterFiles.read(adapter).config());
  }
}
