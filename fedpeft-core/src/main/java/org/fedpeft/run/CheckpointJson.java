package org.fedpeft.run;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.util.function.Function;
import org.fedpeft.io.JsonFiles;

/** Reads the JSON objects a checkpoint holds in its extra entries ({@link RunCheckpoint}). */
final class CheckpointJson {

  private CheckpointJson() {}

  /**
   * What {@code read} makes of {@code json}, a JSON object.
   *
   * @param what names the entry and its checkpoint in the error
   * @throws IllegalArgumentException naming {@code what} and quoting {@code json} if it is not
   *     strict JSON ({@link JsonFiles#parse}: a repeated key, NaN, a comment; saying which), not a
   *     JSON object or lacks what {@code read} takes from it (a missing key, another type)
   */
  static <T> T read(String json, String what, Function<JsonObject, T> read) {
    JsonElement parsed;
    try {
      parsed = JsonFiles.parse(json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          what + " is not readable (" + e.getMessage() + "): " + json, e);
    }
    try {
      return read.apply(parsed.getAsJsonObject());
    } catch (JsonParseException
        | IllegalStateException
        | NullPointerException
        | ClassCastException
        | UnsupportedOperationException
        | NumberFormatException e) {
      throw new IllegalArgumentException(what + " is not readable: " + json, e);
    }
  }
}
