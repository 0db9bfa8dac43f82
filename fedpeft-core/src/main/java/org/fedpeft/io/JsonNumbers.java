package org.fedpeft.io;

import com.google.gson.JsonElement;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * Numbers read from JSON as written: the one rule by which the readers of config.json, adapter
 * configs and fedpeft's adapter files take a number. Only a JSON number counts (a string holding
 * digits, such as {@code "384"}, does not), and it is read exactly as {@link BigDecimal}, so that a
 * caller wanting a whole number takes {@link BigDecimal#intValueExact} or {@link
 * BigDecimal#longValueExact} and refuses {@code 1.5} or {@code 1e20}, which Gson's {@code getAsInt}
 * reads as 1 and as a wrapped int.
 */
public final class JsonNumbers {

  private JsonNumbers() {}

  /** The value of {@code e} if it is a JSON number; empty for anything else (also null). */
  public static Optional<BigDecimal> of(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return Optional.empty();
    }
    try {
      return Optional.of(e.getAsBigDecimal());
    } catch (NumberFormatException notFinite) {
      return Optional.empty();
    }
  }
}
