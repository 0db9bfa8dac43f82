package org.fedpeft.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.ToNumberPolicy;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict JSON parser into plain Java values that, unlike gson's tree model, rejects duplicate
 * object keys and keeps number literals verbatim (so integers are never rounded through double).
 * {@link #tree} gives the same document as gson's tree, for readers written against it; outside
 * this package it is reached through {@link JsonFiles#parse} (text) and {@link JsonFiles#read}
 * (files), which say what is wrong in the project's words.
 *
 * <p>Values: {@code Map<String, Object>} (insertion-ordered), {@code List<Object>}, {@link String},
 * {@link Num}, {@link Boolean}, and {@code null} for JSON null.
 */
public final class StrictJson {

  private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

  /** Where gson's {@code JsonReader.toString()} says it stands. */
  private static final Pattern LOCATION = Pattern.compile(" at line (\\d+) column (\\d+) ");

  private StrictJson() {}

  /**
   * A JSON number, as written: gson's own lazily parsed number ({@link
   * ToNumberPolicy#LAZILY_PARSED_NUMBER}), whose string is the literal, as gson's tree holds it.
   */
  record Num(Number value) {

    /** The number as written. */
    String literal() {
      return value.toString();
    }

    /** True if the literal is written as an integer (no fraction, no exponent). */
    boolean isIntegerLiteral() {
      return INTEGER.matcher(literal()).matches();
    }

    /** The value of an integer literal; call {@link #isIntegerLiteral()} first. */
    BigInteger bigInteger() {
      return new BigInteger(literal());
    }

    @Override
    public String toString() {
      return literal();
    }
  }

  /** The text is not valid JSON. */
  static final class SyntaxError extends Exception {
    SyntaxError(String message) {
      super(message);
    }
  }

  /**
   * An object has the same key twice; {@code path} is where the object sits ("" for the root). The
   * message ends with where the second occurrence starts, as gson places its syntax errors: "at
   * line 4 column 7" (the line and column of the key's first character).
   */
  static final class DuplicateKey extends Exception {
    /** The JSON path of the object holding the key ("" for the root). */
    final String path;

    /** The root-level key under which the duplicate sits (null when it is at the root). */
    final String topKey;

    /** The repeated key. */
    final String key;

    /**
     * " at line L column C" of the second occurrence, as the message ends, or "" when gson no
     * longer says where it stands.
     */
    final String at;

    DuplicateKey(String path, String topKey, String key, String location) {
      super("duplicate key '" + key + "'" + (path.isEmpty() ? "" : " in " + path) + at(location));
      this.path = path;
      this.topKey = topKey;
      this.key = key;
      this.at = at(location);
    }

    /** " at " and {@code location}, or "" without one. */
    private static String at(String location) {
      return location == null ? "" : " at " + location;
    }
  }

  /**
   * Parses one complete JSON document. A document with a repeated key is read a second time, noting
   * where each key starts, for the {@link DuplicateKey} to say where the repeat is (a cost only the
   * refused document pays).
   */
  static Object parse(String text) throws SyntaxError, DuplicateKey {
    try {
      return parse(text, false);
    } catch (DuplicateKey first) {
      parse(text, true);
      throw first; // not reached: the second reading refuses the same key, saying where
    }
  }

  private static Object parse(String text, boolean locate) throws SyntaxError, DuplicateKey {
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    try {
      Object value = read(reader, "", null, locate);
      JsonToken after;
      try {
        after = reader.peek();
      } catch (IOException e) {
        after = null; // gson's strict reading refuses anything after the value
      }
      if (after != JsonToken.END_DOCUMENT) {
        String where = location(reader);
        throw new SyntaxError(
            "content after the JSON value" + (where == null ? "" : " at " + where));
      }
      return value;
    } catch (IOException | IllegalStateException | NumberFormatException e) {
      throw new SyntaxError(cleanMessage(e));
    }
  }

  /**
   * Parses one complete JSON document strictly, like {@link #parse}, into gson's tree: objects keep
   * their keys' order and numbers their literals.
   */
  static JsonElement tree(String text) throws SyntaxError, DuplicateKey {
    return toTree(parse(text));
  }

  private static JsonElement toTree(Object value) {
    if (value == null) {
      return JsonNull.INSTANCE;
    } else if (value instanceof Map<?, ?> map) {
      JsonObject o = new JsonObject();
      map.forEach((k, v) -> o.add((String) k, toTree(v)));
      return o;
    } else if (value instanceof List<?> list) {
      JsonArray a = new JsonArray(list.size());
      list.forEach(v -> a.add(toTree(v)));
      return a;
    } else if (value instanceof String s) {
      return new JsonPrimitive(s);
    } else if (value instanceof Num n) {
      // gson's own number for this literal (read as written, converted when asked), as its
      // parser puts in a tree; made once, when read (re-parsing each literal here took most of
      // the time of a tokenizer.json's 30,000 numbers).
      return new JsonPrimitive(n.value());
    }
    return new JsonPrimitive((Boolean) value);
  }

  /** A short description of a JSON value's type, for error messages. */
  static String describe(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof Map) {
      return "an object";
    } else if (value instanceof List) {
      return "an array";
    } else if (value instanceof String s) {
      return "the string \"" + s + "\"";
    } else if (value instanceof Num n) {
      return "the number " + n.literal();
    } else {
      return "the boolean " + value;
    }
  }

  private static Object read(JsonReader reader, String path, String topKey, boolean locate)
      throws IOException, DuplicateKey {
    JsonToken token = reader.peek();
    switch (token) {
      case BEGIN_OBJECT:
        {
          Map<String, Object> map = new LinkedHashMap<>();
          reader.beginObject();
          while (reader.hasNext()) {
            String location = locate ? location(reader) : null;
            String key = reader.nextName();
            if (map.containsKey(key)) {
              throw new DuplicateKey(path, topKey, key, location);
            }
            map.put(
                key,
                read(
                    reader,
                    path.isEmpty() ? key : path + "." + key,
                    topKey == null ? key : topKey,
                    locate));
          }
          reader.endObject();
          return map;
        }
      case BEGIN_ARRAY:
        {
          List<Object> list = new ArrayList<>();
          reader.beginArray();
          while (reader.hasNext()) {
            list.add(read(reader, path + "[" + list.size() + "]", topKey, locate));
          }
          reader.endArray();
          return list;
        }
      case STRING:
        return reader.nextString();
      case NUMBER:
        return new Num(ToNumberPolicy.LAZILY_PARSED_NUMBER.readNumber(reader));
      case BOOLEAN:
        return reader.nextBoolean();
      case NULL:
        reader.nextNull();
        return null;
      default:
        throw new IllegalStateException("unexpected " + token + " at " + reader.getPath());
    }
  }

  /**
   * "line L column C" of where {@code reader} stands, as its syntax errors give it (after {@code
   * hasNext()} in an object: the first character of the next key), or null if gson no longer
   * describes itself so.
   */
  private static String location(JsonReader reader) {
    Matcher m = LOCATION.matcher(reader.toString());
    return m.find() ? "line " + m.group(1) + " column " + m.group(2) : null;
  }

  /**
   * Gson's message without the name of the exception it wraps, its troubleshooting link and its
   * advice to parse leniently.
   */
  public static String cleanMessage(Exception e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    message = message.replaceFirst("^[\\w.]+Exception: ", "");
    int see = message.indexOf("\nSee ");
    if (see >= 0) {
      message = message.substring(0, see);
    }
    message = message.replaceAll("\\s*See https://github\\.com/google/gson/\\S*", "");
    String advice = "Use JsonReader.setStrictness(Strictness.LENIENT) to accept ";
    if (message.startsWith(advice)) {
      message = message.substring(advice.length());
    }
    return message;
  }
}
