package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link AdapterFiles#read} says about a hand-edited or damaged fedpeft_adapter.json. */
class AdapterFilesMessagesTest {

  @TempDir Path tmp;

  /** A saved head-only folder whose config {@code edit} then changes. */
  private Path folder(String name, Consumer<JsonObject> edit) throws Exception {
    Path dir = tmp.resolve(name);
    AdapterFiles.save(
        dir,
        null,
        0,
        Map.of("head.weight", HostTensor.zeros(2, 4), "head.bias", HostTensor.zeros(2)),
        List.of("a", "b"),
        "base",
        new JsonObject());
    Path config = dir.resolve(AdapterFiles.CONFIG_FILE);
    JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    edit.accept(c);
    Files.writeString(config, c.toString());
    return dir;
  }

  private static String error(Path dir) {
    return assertThrows(IllegalArgumentException.class, () -> AdapterFiles.read(dir)).getMessage();
  }

  /**
   * QA, 3 December: a fedpeft_adapter.json without "options" made eval, embed and retrieve print
   * 'Cannot invoke "com.google.gson.JsonObject.entrySet()" because ... is null'; a missing field or
   * one of another type names the file and the field.
   */
  @Test
  void aMissingOrMistypedFieldNamesTheFileAndTheField() throws Exception {
    Path dir = folder("no-options", c -> c.remove("options"));
    String config = dir.resolve(AdapterFiles.CONFIG_FILE).toString();
    assertEquals(config + ": missing field \"options\"", error(dir));
    dir = folder("no-method", c -> c.remove("method"));
    assertEquals(dir.resolve(AdapterFiles.CONFIG_FILE) + ": missing field \"method\"", error(dir));
    dir = folder("labels-object", c -> c.add("labels", new JsonObject()));
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE)
            + ": field \"labels\" must be an array of strings, found {}",
        error(dir));
    dir =
        folder(
            "label-array",
            c -> {
              JsonArray labels = new JsonArray();
              labels.add("a");
              labels.add(new JsonArray());
              c.add("labels", labels);
            });
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE)
            + ": field \"labels\" must be an array of strings, found [\"a\",[]]",
        error(dir));
    dir = folder("seed-text", c -> c.addProperty("seed", "forty-two"));
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE)
            + ": field \"seed\" must be an integer, found \"forty-two\"",
        error(dir));
    dir = folder("option-object", c -> c.getAsJsonObject("options").add("rank", new JsonObject()));
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE)
            + ": field \"options.rank\" must be a string, found {}",
        error(dir));
  }

  /** As before the checks, a number where a string is expected reads as its text. */
  @Test
  void aNumberWhereAStringIsExpectedStillReads() throws Exception {
    Path dir = folder("numeric-option", c -> c.getAsJsonObject("options").addProperty("rank", 8));
    assertEquals("8", AdapterFiles.read(dir).options().get("rank"));
  }

  /*
   * QA, 3 December: read took "format_version": 1.5 as 1 (Gson's getAsInt truncates) and "seed":
   * 7.9 as 7, without complaint. An integer field that is not a whole JSON number is refused,
   * naming the file and the field, as the other field errors do.
   */

  @Test
  void aFractionalFormatVersionIsRefusedNamingTheFileAndTheField() throws Exception {
    Path dir = folder("version-1.5", c -> c.addProperty("format_version", new BigDecimal("1.5")));
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE)
            + ": field \"format_version\" must be an integer, found 1.5",
        error(dir));
    dir = folder("version-text", c -> c.addProperty("format_version", "1"));
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE)
            + ": field \"format_version\" must be an integer, found \"1\"",
        error(dir));
    dir = folder("version-huge", c -> c.addProperty("format_version", new BigDecimal("1e20")));
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE)
            + ": field \"format_version\" must be an integer, found 1E+20",
        error(dir));
  }

  @Test
  void aFractionalSeedIsRefusedNamingTheFileAndTheField() throws Exception {
    Path dir = folder("seed-7.9", c -> c.addProperty("seed", new BigDecimal("7.9")));
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE) + ": field \"seed\" must be an integer, found 7.9",
        error(dir));
  }

  /** A whole number written with a fraction ({@code 1.0}) is still that integer. */
  @Test
  void wholeNumbersStillRead() throws Exception {
    Path dir =
        folder(
            "whole",
            c -> {
              c.addProperty("format_version", new BigDecimal("1.0"));
              c.addProperty("seed", new BigDecimal("7.0"));
            });
    AdapterFiles.Saved saved = AdapterFiles.read(dir);
    assertEquals(1, saved.formatVersion());
    assertEquals(7, saved.adapterSeed());
  }
}
