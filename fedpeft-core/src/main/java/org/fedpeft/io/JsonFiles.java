package org.fedpeft.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the JSON files of run, adapter and model folders (summary.json, config.json, manifest.json,
 * a model's config.json, ...): strict UTF-8 through {@link Utf8Input} (a leading byte-order mark
 * dropped), then strict JSON through {@link StrictJson} into gson's tree: no comments, single
 * quotes, unquoted names, NaN or trailing content, and no object with the same key twice (which
 * would leave a reader to guess which value counts). A settings file a user brings (a model's or an
 * adapter's) is read with a cap, {@link #MAX_BYTES}, and refused before it is read if it is larger;
 * the files fedpeft writes into its run folders, which grow with the run, have none ({@link
 * #NO_CAP}). A file that is too large, not UTF-8, not valid JSON, has a repeated key or, for {@link
 * #readObject}, is not a JSON object is a {@link JsonFileException} naming the file and what is
 * wrong ("5368709120 bytes, more than the 67108864 bytes (64 MiB) a JSON settings file may hold",
 * "not valid UTF-8 (byte 7 of the file)", "not valid JSON: End of input at line 1 column 12 path
 * $.rounds", "duplicate key 'r' in lora at line 4 column 7", "not a JSON object but an array").
 *
 * <p>{@link #readLines} and {@link #parseLine} read a JSON-lines file (metrics.jsonl,
 * timings.jsonl) as strictly, line by line, naming the file and the line.
 *
 * <p>{@link #parse} is the same strict parse of JSON text that arrives otherwise (the {@code run.*}
 * settings of a server's instructions, its welcome to a node).
 */
public final class JsonFiles {

  /**
   * The most bytes a JSON settings file that a user brings may hold, the cap its readers pass
   * ({@code readObject(file, MAX_BYTES)}): 64 MiB. A model's config.json, sentence_bert_config.json
   * or tokenizer_config.json holds a few kilobytes, at most a few hundred (one with thousands of
   * added tokens, or a model.safetensors.index.json listing the tensors of hundreds of shards), an
   * adapter's adapter_config.json or fedpeft_adapter.json a few kilobytes. A larger file is refused
   * before it is read, instead of ending in an OutOfMemoryError. tokenizer.json, tens of megabytes
   * for a large vocabulary, is read with a cap of its own (the model package's, 256 MiB).
   */
  public static final long MAX_BYTES = 64L << 20;

  /**
   * No cap, what the readers without one pass: the files fedpeft writes into its run folders, which
   * grow with the run (partition.json holds a label histogram per client: a retrieval run of 1,000
   * clients over 25,000 documents writes about 75 MB), are read whatever their size.
   */
  public static final long NO_CAP = Long.MAX_VALUE;

  private JsonFiles() {}

  /**
   * Refuses {@code file} if it holds more than {@code max} bytes, before anything reads it: a
   * {@link JsonFileException} naming the file, its size and the cap ("N bytes, more than the M
   * bytes (K MiB) WHAT may hold", the MiB given for a cap of whole MiB).
   *
   * @param what what the file is, for the message ("a JSON settings file", "a tokenizer.json")
   * @throws IOException if the file's size cannot be read
   */
  public static void requireAtMost(Path file, long max, String what) throws IOException {
    long size = Files.size(file);
    if (size > max) {
      throw new JsonFileException(
          file,
          size
              + " bytes, more than the "
              + max
              + " bytes "
              + (max > 0 && max % (1 << 20) == 0 ? "(" + (max >> 20) + " MiB) " : "")
              + what
              + " may hold",
          null);
    }
  }

  /**
   * The text of {@code file}, strictly UTF-8 (a leading byte-order mark dropped), whatever its size
   * ({@link #NO_CAP}).
   *
   * @throws JsonFileException naming the file and the first byte that is not UTF-8
   * @throws IOException if the file cannot be read
   */
  public static String readUtf8(Path file) throws IOException {
    return readUtf8(file, NO_CAP);
  }

  /**
   * The text of {@code file}, strictly UTF-8 (a leading byte-order mark dropped), refused before it
   * is read if it holds more than {@code maxBytes} bytes ({@link #MAX_BYTES} for a settings file a
   * user brings, {@link #NO_CAP} for none).
   *
   * @throws JsonFileException naming the file if it is too large, or the first byte that is not
   *     UTF-8
   * @throws IOException if the file cannot be read
   */
  public static String readUtf8(Path file, long maxBytes) throws IOException {
    if (maxBytes != NO_CAP) {
      requireAtMost(file, maxBytes, "a JSON settings file");
    }
    try (Utf8Input in =
        new Utf8Input(
            Files.newInputStream(file),
            file,
            (source, line, reason) -> new JsonFileException(source, reason, null))) {
      return in.rest();
    }
  }

  /**
   * The one JSON value of {@code file}, whatever its size ({@link #read(Path, long)} with {@link
   * #NO_CAP}).
   *
   * @throws JsonFileException naming the file if it is not UTF-8, empty, not valid JSON or has an
   *     object with a repeated key
   * @throws IOException if the file cannot be read
   */
  public static JsonElement read(Path file) throws IOException {
    return read(file, NO_CAP);
  }

  /**
   * The one JSON value of {@code file} ({@link #readUtf8(Path, long)}, then {@link #parse}).
   *
   * @throws JsonFileException naming the file if it is larger than {@code maxBytes}, not UTF-8,
   *     empty, not valid JSON or has an object with a repeated key
   * @throws IOException if the file cannot be read
   */
  public static JsonElement read(Path file, long maxBytes) throws IOException {
    String text = readUtf8(file, maxBytes);
    if (text.isBlank()) {
      throw new JsonFileException(file, "empty file", null);
    }
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      throw new JsonFileException(file, e.getMessage(), e.getCause());
    }
  }

  /**
   * The one JSON value of {@code text}, parsed as strictly as a file's ({@link StrictJson#tree}):
   * the one strict parse for JSON that fedpeft reads from a file or a message.
   *
   * @throws IllegalArgumentException if the text is blank ("empty"), not valid JSON ("not valid
   *     JSON: End of input at line 1 column 12 path $.rounds") or has an object with a repeated key
   *     ("duplicate key 'r' in lora at line 4 column 7", where the second one starts); the message
   *     says only what is wrong, for one that names where the text came from
   */
  public static JsonElement parse(String text) {
    if (text.isBlank()) {
      throw new IllegalArgumentException("empty");
    }
    try {
      return StrictJson.tree(text);
    } catch (StrictJson.SyntaxError e) {
      throw new IllegalArgumentException("not valid JSON: " + e.getMessage(), e);
    } catch (StrictJson.DuplicateKey e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * The lines of JSON-lines file {@code file} (metrics.jsonl, timings.jsonl), strictly UTF-8 (a
   * leading byte-order mark dropped; a CR before an LF dropped), each to be parsed with {@link
   * #parseLine}. Not capped in size: such a file grows by a line a round or a step.
   *
   * @throws JsonFileException naming the file and the line of the first byte that is not UTF-8
   * @throws IOException if the file cannot be read
   */
  public static List<String> readLines(Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Utf8Input in =
        new Utf8Input(
            Files.newInputStream(file),
            file,
            (source, line, reason) ->
                new JsonFileException(source, "line " + line + ": " + reason, null))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lines.add(line);
      }
    }
    return lines;
  }

  /**
   * The JSON object on line {@code line} (1-based) of JSON-lines file {@code file}, parsed as
   * strictly as a whole file ({@link #parse}).
   *
   * @param text the line's text
   * @throws JsonFileException naming the file and the line if the text is not valid JSON, has an
   *     object with a repeated key or is not an object ("line 3: duplicate key 'round' at column
   *     22", "line 3: not a JSON object but an array", "line 3: not valid JSON: malformed JSON at
   *     column 73 path $.accepted": the parser's "line 1" of the one line it was given is left out)
   */
  public static JsonObject parseLine(Path file, int line, String text) {
    JsonElement e;
    try {
      e = parse(text);
    } catch (IllegalArgumentException bad) {
      String reason = bad.getMessage().replaceFirst(" at line 1 column ", " at column ");
      throw new JsonFileException(file, "line " + line + ": " + reason, bad.getCause());
    }
    if (!e.isJsonObject()) {
      throw new JsonFileException(
          file, "line " + line + ": not a JSON object but " + describe(e), null);
    }
    return e.getAsJsonObject();
  }

  /**
   * The JSON object of {@code file}, whatever its size ({@link #readObject(Path, long)} with {@link
   * #NO_CAP}).
   *
   * @throws JsonFileException naming the file if it is not UTF-8, empty, not valid JSON, has an
   *     object with a repeated key or holds another value than an object
   * @throws IOException if the file cannot be read
   */
  public static JsonObject readObject(Path file) throws IOException {
    return readObject(file, NO_CAP);
  }

  /**
   * The JSON object of {@code file} ({@link #read(Path, long)}).
   *
   * @throws JsonFileException naming the file if it is larger than {@code maxBytes}, not UTF-8,
   *     empty, not valid JSON, has an object with a repeated key or holds another value than an
   *     object
   * @throws IOException if the file cannot be read
   */
  public static JsonObject readObject(Path file, long maxBytes) throws IOException {
    JsonElement e = read(file, maxBytes);
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
