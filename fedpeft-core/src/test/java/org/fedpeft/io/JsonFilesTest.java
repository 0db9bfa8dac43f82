package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JsonFiles} reads the JSON files of run, adapter and model folders strictly: what gson's
 * lenient parser let through (a repeated key, comments, single quotes, unquoted names, NaN) is now
 * refused naming the file; valid files read as before, numbers as written.
 */
class JsonFilesTest {

  @TempDir Path dir;

  private Path file(String text) throws IOException {
    Path f = dir.resolve("config.json");
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void aValidFileReadsWithItsKeysInOrderAndNumbersAsWritten() throws IOException {
    JsonObject o =
        JsonFiles.readObject(
            file(
                "{\"z\": 1e-12, \"a\": [1, 2.50, null, true, \"x\"], \"big\":"
                    + " 1000000000000000019884624838656, \"o\": {\"k\": -0}}"));
    assertEquals(List.of("z", "a", "big", "o"), List.copyOf(o.keySet()));
    assertEquals("1e-12", o.get("z").getAsString());
    assertEquals(1e-12, o.get("z").getAsDouble());
    assertEquals("2.50", o.getAsJsonArray("a").get(1).getAsString());
    assertEquals(true, o.getAsJsonArray("a").get(2).isJsonNull());
    assertEquals(true, o.getAsJsonArray("a").get(3).getAsBoolean());
    assertEquals("1000000000000000019884624838656", o.get("big").getAsBigInteger().toString());
    assertEquals(
        "{\"z\":1e-12,\"a\":[1,2.50,null,true,\"x\"],\"big\":1000000000000000019884624838656,"
            + "\"o\":{\"k\":-0}}",
        o.toString());
  }

  @Test
  void aRepeatedKeyIsRefusedNamingTheFileAndTheKey() throws IOException {
    Path f = file("{\"format\": 1, \"lora\": {\"r\": 8, \"r\": 16}}");
    JsonFileException e = assertThrows(JsonFileException.class, () -> JsonFiles.readObject(f));
    assertEquals(f + ": duplicate key 'r' in lora", e.getMessage());
    Path g = file("{\"rounds\": 3, \"rounds\": 4}");
    e = assertThrows(JsonFileException.class, () -> JsonFiles.read(g));
    assertEquals("duplicate key 'rounds'", e.reason());
  }

  @Test
  void whatOnlyALenientParserAcceptsIsRefused() throws IOException {
    for (String text :
        new String[] {
          "{\"a\": 1} // a comment",
          "{'a': 1}",
          "{a: 1}",
          "{\"a\": NaN}",
          "{\"a\": 1} {}",
          "{\"a\": 1,}"
        }) {
      Path f = file(text);
      JsonFileException e = assertThrows(JsonFileException.class, () -> JsonFiles.read(f), text);
      assertEquals(true, e.reason().startsWith("not valid JSON: "), text + " -> " + e.reason());
    }
  }
}
