package org.fedpeft.peft;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses the flat {@code key=value} options of an adapter method into a map, in the given order.
 */
public final class Options {

  private Options() {}

  /**
   * Parses {@code "rank=8,alpha=16,targets=query+value"}; a null or blank string gives no options.
   *
   * @throws IllegalArgumentException for a part that is not key=value, or a key given twice
   */
  public static Map<String, String> parse(String spec) {
    Map<String, String> m = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return m;
    }
    for (String part : spec.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "adapter option \"" + part.trim() + "\" is not of the form key=value");
      }
      String key = part.substring(0, eq).trim();
      String value = part.substring(eq + 1).trim();
      String before = m.put(key, value);
      if (before != null) {
        throw new IllegalArgumentException(
            "adapter option \""
                + key
                + "\" is given twice ("
                + key
                + "="
                + before
                + " and "
                + key
                + "="
                + value
                + "); give it once");
      }
    }
    return m;
  }
}
