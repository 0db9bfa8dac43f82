package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.FrozenBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link AdapterFiles#read} says about a hand-edited {@code adapter_config.json} of a folder
 * without {@code fedpeft_adapter.json} (written by fedpeft before its format, or by Hugging Face
 * PEFT), starting from the fedpeft 0.1.0 folder of {@link OldAdapterFolderTest}.
 */
class PeftFolderFieldsTest {

  @TempDir Path tmp;

  private int copies;

  /** A copy of the 0.1.0 folder whose adapter_config.json {@code edit} then changes. */
  private Path folder(Consumer<JsonObject> edit) throws Exception {
    Path dir = tmp.resolve("copy-" + copies++);
    Files.createDirectories(dir);
    Path old = OldAdapterFolderTest.folder();
    for (String f :
        List.of(
            PeftAdapterFiles.CONFIG_FILE, PeftAdapterFiles.WEIGHTS_FILE, AdapterFiles.HEAD_FILE)) {
      Files.copy(old.resolve(f), dir.resolve(f));
    }
    Path config = dir.resolve(PeftAdapterFiles.CONFIG_FILE);
    JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    edit.accept(c);
    Files.writeString(config, new GsonBuilder().serializeNulls().create().toJson(c));
    return dir;
  }

  private static Consumer<JsonObject> fedpeft(String key, String json) {
    return c -> c.getAsJsonObject("fedpeft").add(key, JsonParser.parseString(json));
  }

  private static Consumer<JsonObject> extra(String key, String json) {
    return c ->
        c.getAsJsonObject("fedpeft")
            .getAsJsonObject("extra")
            .add(key, JsonParser.parseString(json));
  }

  private static String error(Path dir) {
    return assertThrows(RuntimeException.class, () -> AdapterFiles.read(dir)).getMessage();
  }

  /**
   * QA, 4 December: what an earlier fedpeft recorded under the {@code fedpeft} key was read with
   * Gson's getters: {@code "seed": "42"} or {@code 7.9} read as 42 and 7 (the seed the adapter is
   * re-created from), null, an array or an object gave Gson's exception ("Not a JSON Array",
   * "JsonNull"), naming neither the file nor the field. Each is now read by the typed reader of
   * fedpeft_adapter.json.
   */
  @Test
  void aFedpeftFieldOfAnotherTypeIsRefusedNamingTheFileAndTheField() throws Exception {
    Map<Consumer<JsonObject>, String> bad = new LinkedHashMap<>();
    String seed = "field \"fedpeft.extra.seed\" must be an integer, found ";
    bad.put(extra("seed", "\"42\""), seed + "\"42\"");
    bad.put(extra("seed", "7.9"), seed + "7.9");
    bad.put(extra("seed", "[42]"), seed + "[42]");
    bad.put(extra("seed", "{}"), seed + "{}");
    bad.put(extra("seed", "null"), "missing field \"fedpeft.extra.seed\"");
    bad.put(fedpeft("extra", "[]"), "field \"fedpeft.extra\" must be an object, found []");
    bad.put(fedpeft("extra", "\"x\""), "field \"fedpeft.extra\" must be an object, found \"x\"");
    String labels = "field \"fedpeft.labels\" must be an array of strings, found ";
    bad.put(fedpeft("labels", "{}"), labels + "{}");
    bad.put(fedpeft("labels", "\"noun.act\""), labels + "\"noun.act\"");
    bad.put(fedpeft("labels", "[[]]"), labels + "[[]]");
    bad.put(fedpeft("labels", "null"), "missing field \"fedpeft.labels\"");
    bad.put(fedpeft("method", "[]"), "field \"fedpeft.method\" must be a string, found []");
    bad.put(fedpeft("method", "{}"), "field \"fedpeft.method\" must be a string, found {}");
    bad.put(
        fedpeft("options", "[]"),
        "field \"fedpeft.options\" must be an object of strings, found []");
    bad.put(
        c -> c.getAsJsonObject("fedpeft").getAsJsonObject("options").add("rank", new JsonObject()),
        "field \"fedpeft.options.rank\" must be a string, found {}");
    for (var e : bad.entrySet()) {
      Path dir = folder(e.getKey());
      assertEquals(dir.resolve(PeftAdapterFiles.CONFIG_FILE) + ": " + e.getValue(), error(dir));
    }
  }

  /**
   * The fields PEFT itself writes were already checked when the config is parsed ({@link
   * org.fedpeft.io.PeftAdapterConfig}): a value of another type is refused naming the file and the
   * field.
   */
  @Test
  void aPeftFieldOfAnotherTypeIsRefusedNamingTheFileAndTheField() throws Exception {
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("r", "\"8\"");
    bad.put("lora_alpha", "\"16\"");
    bad.put("target_modules", "5");
    bad.put("base_model_name_or_path", "[]");
    for (var e : bad.entrySet()) {
      Path dir = folder(c -> c.add(e.getKey(), JsonParser.parseString(e.getValue())));
      String message = error(dir);
      assertTrue(
          message.startsWith(
              dir.resolve(PeftAdapterFiles.CONFIG_FILE) + ": field '" + e.getKey() + "' must be"),
          message);
    }
  }

  /**
   * What PEFT writes stays readable: {@code lora_alpha} as an integer or a float, {@code
   * target_modules} as a list or as a regular expression. A regular expression made the targets
   * empty before ("lora: targets must name at least one module" when the adapter was made); the
   * targets are now the modules whose factors the folder holds, so the adapter loads exactly.
   */
  @Test
  void whatPeftWritesStillReads() throws Exception {
    Consumer<JsonObject> plain =
        c -> {
          c.remove("fedpeft");
          c.addProperty("lora_alpha", 12.5);
          c.add("target_modules", JsonParser.parseString("[\"query\", \"value\"]"));
        };
    Path dir = folder(plain);
    AdapterFiles.Saved saved = AdapterFiles.read(dir);
    assertEquals("12.5", saved.options().get("alpha"));
    assertEquals("query+value", saved.options().get("targets"));
    assertEquals(List.of(), saved.labels());
    assertEquals(0, saved.adapterSeed());

    JsonElement regex = JsonParser.parseString("\".*\\\\.(query|value)\"");
    dir = folder(plain.andThen(c -> c.add("target_modules", regex)));
    saved = AdapterFiles.read(dir);
    assertEquals(24, saved.adapterTensors().size());
    try (FrozenBase base = new FrozenBase(PretrainedModel.load("all-minilm-l6-v2"));
        Adapter a = AdapterFiles.instantiate(dir, saved, base.encoder())) {
      assertEquals(saved.adapterTensors().keySet(), a.state().keySet());
      for (Map.Entry<String, HostTensor> e : saved.adapterTensors().entrySet()) {
        assertArrayEquals(e.getValue().data(), a.state().get(e.getKey()).data(), e.getKey());
      }
    }
  }
}
