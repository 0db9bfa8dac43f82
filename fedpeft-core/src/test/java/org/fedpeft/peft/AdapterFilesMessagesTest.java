package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
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

  /**
   * QA, 4 December: eval and retrieve read the run's seed, objective, task, max_eval, temperature
   * and the fully used file's digest from {@code extra} with Gson's getters: a string seed read as
   * its number, or was ignored (retrieve then drew the corpus with seed 42), 7.9 read as 7, and
   * null, an array or an object gave Gson's exception. Each accessor refuses a value of another
   * type naming the file and the field.
   */
  @Test
  void anExtraFieldOfAnotherTypeIsRefusedNamingTheFileAndTheField() throws Exception {
    record Case(String key, String json, String type, Function<Path, Object> read) {}
    String sha = "a SHA-256 digest: a string of 64 lowercase hex digits";
    List<Case> cases =
        List.of(
            new Case("seed", "\"42\"", "an integer", dir -> trainingSeed(dir)),
            new Case("seed", "7.9", "an integer", dir -> trainingSeed(dir)),
            new Case("seed", "{}", "an integer", dir -> trainingSeed(dir)),
            new Case("objective", "[\"contrastive\"]", "a string", dir -> objective(dir)),
            new Case("objective", "{}", "a string", dir -> objective(dir)),
            new Case("task", "[]", "a string", dir -> task(dir)),
            new Case("max_eval", "\"1000\"", "an integer", dir -> maxEval(dir)),
            new Case("max_eval", "1e20", "an integer", dir -> maxEval(dir)),
            new Case("temperature", "\"0.05\"", "a number", dir -> temperature(dir)),
            new Case("temperature", "[]", "a number", dir -> temperature(dir)),
            new Case(AdapterFiles.FULLY_USED_FILE_SHA256, "12", sha, dir -> fullyUsed(dir)),
            new Case(AdapterFiles.FULLY_USED_FILE_SHA256, "\"ABC\"", sha, dir -> fullyUsed(dir)));
    int n = 0;
    for (Case c : cases) {
      Path dir =
          folder("extra-" + n++, o -> o.getAsJsonObject("extra").add(c.key(), parse(c.json())));
      String found = parse(c.json()).toString();
      assertEquals(
          dir.resolve(AdapterFiles.CONFIG_FILE)
              + ": field \"extra."
              + c.key()
              + "\" must be "
              + c.type()
              + ", found "
              + found,
          assertThrows(IllegalArgumentException.class, () -> c.read().apply(dir)).getMessage(),
          c.toString());
    }
    Path dir = folder("extra-null", o -> o.getAsJsonObject("extra").add("seed", JsonNull.INSTANCE));
    assertEquals(
        dir.resolve(AdapterFiles.CONFIG_FILE) + ": missing field \"extra.seed\"",
        assertThrows(IllegalArgumentException.class, () -> trainingSeed(dir)).getMessage());
  }

  /** What train and simulate write reads back; a field that is absent is empty. */
  @Test
  void extraFieldsAsWrittenRead() throws Exception {
    String digest = "0123456789abcdef".repeat(4);
    Path dir =
        folder(
            "extra-valid",
            o -> {
              JsonObject e = o.getAsJsonObject("extra");
              e.addProperty("seed", 7);
              e.addProperty("objective", "contrastive");
              e.addProperty("task", "wordnet-noun-topic");
              e.addProperty("max_eval", 1000);
              e.addProperty("temperature", 0.05);
              e.addProperty(AdapterFiles.FULLY_USED_FILE_SHA256, digest);
            });
    assertEquals(Optional.of(7L), trainingSeed(dir));
    assertEquals(Optional.of("contrastive"), objective(dir));
    assertEquals(Optional.of("wordnet-noun-topic"), task(dir));
    assertEquals(Optional.of(1000), maxEval(dir));
    assertEquals(Optional.of(0.05), temperature(dir));
    assertEquals(Optional.of(digest), fullyUsed(dir));
    Path none = folder("extra-none", o -> {});
    assertEquals(Optional.empty(), trainingSeed(none));
    assertEquals(Optional.empty(), objective(none));
    assertEquals(Optional.empty(), task(none));
    assertEquals(Optional.empty(), maxEval(none));
    assertEquals(Optional.empty(), temperature(none));
    assertEquals(Optional.empty(), fullyUsed(none));
  }

  private static JsonElement parse(String json) {
    return JsonParser.parseString(json);
  }

  private static Optional<Long> trainingSeed(Path dir) {
    return AdapterFiles.trainingSeed(dir, read(dir));
  }

  private static Optional<String> objective(Path dir) {
    return AdapterFiles.objective(dir, read(dir));
  }

  private static Optional<String> task(Path dir) {
    return AdapterFiles.task(dir, read(dir));
  }

  private static Optional<Integer> maxEval(Path dir) {
    return AdapterFiles.maxEval(dir, read(dir));
  }

  private static Optional<Double> temperature(Path dir) {
    return AdapterFiles.temperature(dir, read(dir));
  }

  private static Optional<String> fullyUsed(Path dir) {
    return AdapterFiles.fullyUsedFileDigest(dir, read(dir));
  }

  private static AdapterFiles.Saved read(Path dir) {
    try {
      return AdapterFiles.read(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
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

  /**
   * QA, 5 December: a fedpeft_adapter.json that was not UTF-8 stopped eval with the JDK's "Input
   * length = 1", naming no file; one that was not JSON was called "not a JSON object" with Gson's
   * troubleshooting link, its own copy of StrictJson.cleanMessage having kept the link.
   */
  @Test
  void aConfigThatIsNotUtf8OrNotJsonIsNamed() throws Exception {
    Path dir = folder("latin-1", c -> {});
    Path config = dir.resolve(AdapterFiles.CONFIG_FILE);
    Files.write(
        config, "{\"caf\u00e9\": 1}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertEquals(config + ": not valid UTF-8 (byte 6 of the file)", error(dir));
    Files.writeString(config, "{\"format\": ");
    assertEquals(
        config + ": not valid JSON: End of input at line 1 column 12 path $.format", error(dir));
    Files.writeString(config, "[]");
    assertEquals(config + ": not a JSON object but an array", error(dir));
  }
}
