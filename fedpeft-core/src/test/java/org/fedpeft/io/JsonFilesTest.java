package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.RandomAccessFile;
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

  /**
   * QA, 5 December: a metrics.jsonl line that is not JSON was named twice over ("line 4: not valid
   * JSON: malformed JSON at line 1 column 73"), the parser's "line 1" being that of the one line it
   * was given. Fails on the old code.
   */
  @Test
  void aLineThatIsNotJsonIsNamedByItsLineInTheFileAndItsColumn() {
    Path f = dir.resolve("metrics.jsonl");
    JsonFileException e =
        assertThrows(
            JsonFileException.class,
            () -> JsonFiles.parseLine(f, 4, "{\"round\":4,\"accepted\":NaN}"));
    assertEquals(
        f + ": line 4: not valid JSON: malformed JSON at column 23 path $.accepted",
        e.getMessage());
  }

  @Test
  void aRepeatedKeyIsRefusedNamingTheFileAndTheKey() throws IOException {
    Path f = file("{\"format\": 1, \"lora\": {\"r\": 8, \"r\": 16}}");
    JsonFileException e = assertThrows(JsonFileException.class, () -> JsonFiles.readObject(f));
    assertEquals(f + ": duplicate key 'r' in lora at line 1 column 33", e.getMessage());
    Path g = file("{\"rounds\": 3, \"rounds\": 4}");
    e = assertThrows(JsonFileException.class, () -> JsonFiles.read(g));
    assertEquals("duplicate key 'rounds' at line 1 column 16", e.reason());
  }

  /**
   * QA, 5 December: a repeated key in a file of many lines (a run's saved config.json) was refused
   * naming the file and the key but not where the second one is, left to a search of a file that
   * may hold the key in several objects. The line and column of the second occurrence's first
   * character are given, as for a syntax error. Fails on the old code.
   */
  @Test
  void aRepeatedKeyNamesTheLineAndColumnOfItsSecondOccurrence() throws IOException {
    Path f =
        file(
            "{\n  \"rounds\": 3,\n  \"lora\": {\"r\": 8},\n  \"dp\": {\n    \"r\": 1,\n"
                + "    \"r\": 2\n  }\n}\n");
    JsonFileException e = assertThrows(JsonFileException.class, () -> JsonFiles.readObject(f));
    assertEquals(f + ": duplicate key 'r' in dp at line 6 column 6", e.getMessage());
  }

  /**
   * QA, 5 December: in a JSON-lines file the repeated key's place is its column alone, the line
   * being the one in the file already named (not the parser's "line 1" of the one line it was
   * given), as for a syntax error. Fails on the old code, which named no column.
   */
  @Test
  void aRepeatedKeyInAJsonLineIsNamedByItsLineInTheFileAndItsColumn() {
    Path f = dir.resolve("metrics.jsonl");
    JsonFileException e =
        assertThrows(
            JsonFileException.class,
            () -> JsonFiles.parseLine(f, 4, "{\"round\":4,\"loss\":0.5,\"round\":5}"));
    assertEquals(f + ": line 4: duplicate key 'round' at column 24", e.getMessage());
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

  /** A file of {@code size} bytes that takes no disk space (a hole; it reads as zero bytes). */
  private Path sparse(String name, long size) throws IOException {
    Path f = dir.resolve(name);
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.setLength(size);
    }
    return f;
  }

  /**
   * A JSON file was read whole whatever its size, so that a 5 GB file named config.json ended in an
   * OutOfMemoryError; a settings file a user brings, read with the cap {@link JsonFiles#MAX_BYTES},
   * is now refused by its size before it is read (so this file of zero bytes is never decoded),
   * naming the file, its size and the cap. Fails on the old code, which read it and called it "not
   * valid JSON".
   */
  @Test
  void aSettingsFileLargerThanTheCapIsRefusedBeforeItIsRead() throws IOException {
    long size = JsonFiles.MAX_BYTES + 1;
    Path f = sparse("config.json", size);
    String reason =
        size + " bytes, more than the 67108864 bytes (64 MiB) a JSON settings file may hold";
    JsonFileException e =
        assertThrows(JsonFileException.class, () -> JsonFiles.read(f, JsonFiles.MAX_BYTES));
    assertEquals(f + ": " + reason, e.getMessage());
    e = assertThrows(JsonFileException.class, () -> JsonFiles.readUtf8(f, JsonFiles.MAX_BYTES));
    assertEquals(reason, e.reason());
    // adapter_config.json goes through the same reader (it had a cap of its own, 16 MiB)
    Path adapter = sparse(PeftAdapterFiles.CONFIG_FILE, size);
    assertEquals(
        adapter + ": " + reason,
        assertThrows(PeftFormatException.class, () -> PeftAdapterFiles.readConfig(adapter))
            .getMessage());
    // one byte less is read (and is not JSON)
    Path atCap = sparse("tokenizer_config.json", JsonFiles.MAX_BYTES);
    assertEquals(
        true,
        assertThrows(JsonFileException.class, () -> JsonFiles.read(atCap, JsonFiles.MAX_BYTES))
            .reason()
            .startsWith("not valid JSON: "));
  }

  /**
   * The files fedpeft writes into a run folder grow with the run (partition.json holds a label
   * histogram per client: a retrieval run of 1,000 clients over 25,000 documents writes about 75
   * MB), so the readers without a cap read them whatever their size: this file of more than {@link
   * JsonFiles#MAX_BYTES} zero bytes is decoded and then found not to be JSON. Fails on the code
   * that capped every JSON file, which refused a server's own partition.json on {@code --resume}
   * and in its report.
   */
  @Test
  void aRunFileLargerThanTheSettingsCapIsRead() throws IOException {
    Path partition = sparse("partition.json", JsonFiles.MAX_BYTES + 1);
    assertEquals(
        true,
        assertThrows(JsonFileException.class, () -> JsonFiles.readObject(partition))
            .reason()
            .startsWith("not valid JSON: "));
  }

  /**
   * {@link JsonFiles#parse} is the same strict parse for JSON text from elsewhere (a server's
   * messages), its message the reason alone.
   */
  @Test
  void textParsesAsStrictlyAsAFile() {
    assertEquals("{\"a\":[1,2.50]}", JsonFiles.parse("{\"a\": [1, 2.50]}").toString());
    assertEquals(
        "duplicate key 'r' in lora at line 1 column 20",
        assertThrows(
                IllegalArgumentException.class,
                () -> JsonFiles.parse("{\"lora\": {\"r\": 8, \"r\": 16}}"))
            .getMessage());
    assertEquals(
        "not valid JSON: End of input at line 1 column 8 path $.a",
        assertThrows(IllegalArgumentException.class, () -> JsonFiles.parse("{\"a\": 1"))
            .getMessage());
    assertEquals(
        "empty",
        assertThrows(IllegalArgumentException.class, () -> JsonFiles.parse(" ")).getMessage());
  }
}
