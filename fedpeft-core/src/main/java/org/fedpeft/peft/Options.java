package org.fedpeft.peft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the flat {@code key=value} options of an adapter method into a map, in the given order.
 */
public final class Options {

  private Options() {}

  /**
   * Parses {@code "rank=8,alpha=16,targets=query+value"}; a null or blank string gives no options.
   * The options are separated by commas outside double quotes, so a value in double quotes may hold
   * commas: {@code factors="/tmp/a,b/factors.safetensors"} is the value {@code
   * /tmp/a,b/factors.safetensors} (the quotes around a whole value are dropped).
   *
   * @throws IllegalArgumentException for a part that is not key=value, a double quote that is not
   *     closed, or a key given twice
   */
  public static Map<String, String> parse(String spec) {
    Map<String, String> m = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return m;
    }
    for (String part : parts(spec)) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "adapter option \"" + part.trim() + "\" is not of the form key=value");
      }
      String key = part.substring(0, eq).trim();
      String value = unquoted(part.substring(eq + 1).trim());
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

  /**
   * {@code spec} split at each comma outside double quotes, without empty parts at the end (as
   * {@link String#split(String)}: {@code ",,"} has none).
   */
  private static List<String> parts(String spec) {
    List<String> parts = new ArrayList<>();
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i < spec.length(); i++) {
      char c = spec.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        parts.add(spec.substring(start, i));
        start = i + 1;
      }
    }
    String last = spec.substring(start);
    if (quoted) {
      throw new IllegalArgumentException(
          "adapter option \""
              + last.trim()
              + "\" opens a double quote that it does not close (a value holding a comma goes"
              + " in double quotes: key=\"a,b\")");
    }
    parts.add(last);
    while (!parts.isEmpty() && parts.get(parts.size() - 1).isEmpty()) {
      parts.remove(parts.size() - 1); // "rank=8," as String.split reads it
    }
    return parts;
  }

  /** {@code value} without the double quotes around it, if it is quoted whole. */
  private static String unquoted(String value) {
    return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
        ? value.substring(1, value.length() - 1)
        : value;
  }
}
