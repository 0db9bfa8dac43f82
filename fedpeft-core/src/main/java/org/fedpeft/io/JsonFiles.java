package org.fedpeft.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the JSON files of run, adapter and model folders (summary.json, config.json, manifest.json,
 * a model's config.json, ...): strict UTF-8 through {@link Utf8Input} (a leading byte-order mark
 * dropped), then strict JSON through {@link StrictJson} into gson's tree: no comments, single
 * quotes, unquoted names, NaN or trailing content, and no object with the same key twice (which
 * would leave a reader to guess which value counts). A file that is not UTF-8, not valid JSON, has
 * a repeated key or, for {@link #readObject}, is not a JSON object is a {@link JsonFileException}
 * naming the file and what is wrong ("not valid UTF-8 (byte 7 of the file)", "not valid JSON: End
 * of input at line 1 column 12 path $.rounds", "duplicate key 'r' in lora", "not a JSON object but
 * an array").
 */
public final class JsonFiles {
  private JsonFiles() {}

  /**
   * The text of {@code file}, strictly UTF-8 (a leading byte-order mark dropped).
   *
   * @throws JsonFileException naming the file and the first byte that is not UTF-8
   * @throws IOException if the file cannot be read
   */
  public static String readUtf8(Path file) throws IOException {
    try (Utf8Input in =
        new Utf8Input(
            Files.newInputStream(file),
            file,
            (source, line, reason) -> new JsonFileException(source, reason, null))) {
      return in.rest();
    }
  }

  /**
   * The one JSON value of {@code file} ({@link #readUtf8}, then {@link StrictJson#tree}).
   *
   * @throws JsonFileException naming the file if it is not UTF-8, empty, not valid JSON or has an
   *     object with a repeated key
   * @throws IOException if the file cannot be read
   */
  public static JsonElement read(Path file) throws IOException {
    String text = readUtf8(file);
    if (text.isBlank()) {
      throw new JsonFileException(file, "empty file", null);
    }
    try {
      return StrictJson.tree(text);
    } catch (StrictJson.SyntaxError e) {
      throw new JsonFileException(file, "not valid JSON: " + e.getMessage(), e);
    } catch (StrictJson.DuplicateKey e) {
      throw new JsonFileException(file, e.getMessage(), e);
    }
  }

  /**
   * The JSON object of {@code file} ({@link #read}).
   *
   * @throws JsonFileException naming the file if it is not UTF-8, empty, not valid JSON or holds
   *     another value than an object
   * @throws IOException if the file cannot be read
   */
  public static JsonObject readObject(Path file) throws IOException {
    JsonElement e = read(file);
    if (!e.isJsonObject()) {
      throw new JsonFileException(file, "not a JSON object but " + describe(e), null);
    }
    return e.getAsJsonObject();
  }

  /**
   * What is wrong, without the file's name, for a message that names the file itself: a {@link
   * JsonFileException}'s {@link JsonFileException#reason() reason}, else Gson's message ({@link
   * StrictJson#cleanMessage}) of a value of the wrong type.
   */
  public static String reason(Exception e) {
    return e instanceof JsonFileException j ? j.reason() : StrictJson.cleanMessage(e);
  }

  /** "an object", "an array", "a string", "a number", "a boolean" or "null". */
  public static String describe(JsonElement e) {
    if (e.isJsonObject()) {
      return "an object";
    } else if (e.isJsonArray()) {
      return "an array";
    } else if (e.isJsonNull()) {
      return "null";
    } else if (e.getAsJsonPrimitive().isString()) {
      return "a string";
    } else if (e.getAsJsonPrimitive().isNumber()) {
      return "a number";
    }
    return "a boolean";
  }
}
