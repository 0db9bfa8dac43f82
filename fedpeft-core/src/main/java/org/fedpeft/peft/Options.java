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
   * /tmp/a,b/factors.safetensors} (the quotes around a whole value are dropped). A double quote
   * anywhere else (in a key, inside or after a value's text) is refused: a value cannot hold one.
   *
   * @throws IllegalArgumentException for a part that is not key=value, a double quote that is not
   *     closed or not around a whole value, naming the part and the character (counted from 1 in
   *     {@code spec}); or a key given twice
   */
  public static Map<String, String> parse(String spec) {
    Map<String, String> m = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return m;
    }
    for (Part p : parts(spec)) {
      String part = p.text();
      int eq = part.indexOf('=');
      if (eq <= 0) {
        int blank = 0;
        while (blank < part.length() && part.charAt(blank) <= ' ') {
          blank++;
        }
        throw new IllegalArgumentException(
            "adapter option \""
                + part.trim()
                + "\" is not of the form key=value (at character "
                + (p.at() + (blank < part.length() ? blank : 0) + 1)
                + ")");
      }
      int stray = strayQuote(part, eq);
      if (stray >= 0) {
        throw new IllegalArgumentException(
            "adapter option \""
                + part.trim()
                + "\" has a double quote at character "
                + (p.at() + stray + 1)
                + " that is not around its whole value "
                + QUOTES);
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

  /** How a value holding a comma is given, for the messages on double quotes. */
  private static final String QUOTES =
      "(a value holding a comma goes in double quotes: key=\"a,b\"; a value cannot hold a double"
          + " quote)";

  /** One option of a spec: its text and where it starts in the spec (0 for the first). */
  private record Part(String text, int at) {}

  /**
   * {@code spec} split at each comma outside double quotes, without empty parts at the end (as
   * {@link String#split(String)}: {@code ",,"} has none).
   *
   * @throws IllegalArgumentException if a double quote is not closed
   */
  private static List<Part> parts(String spec) {
    List<Part> parts = new ArrayList<>();
    int open = -1; // the double quote that opened the quoted text we are in, or -1
    int start = 0;
    for (int i = 0; i < spec.length(); i++) {
      char c = spec.charAt(i);
      if (c == '"') {
        open = open < 0 ? i : -1;
      } else if (c == ',' && open < 0) {
        parts.add(new Part(spec.substring(start, i), start));
        start = i + 1;
      }
    }
    String last = spec.substring(start);
    if (open >= 0) {
      throw new IllegalArgumentException(
          "adapter option \""
              + last.trim()
              + "\" opens a double quote that it does not close (at character "
              + (open + 1)
              + "; "
              + QUOTES.substring(1));
    }
    parts.add(new Part(last, start));
    while (!parts.isEmpty() && parts.get(parts.size() - 1).text().isEmpty()) {
      parts.remove(parts.size() - 1); // "rank=8," as String.split reads it
    }
    return parts;
  }

  /**
   * The index in {@code part} (key=value, {@code eq} the index of its '=') of a double quote that
   * is not around the whole value: one in the key, or in the value (spaces around it aside, as
   * {@link String#trim} takes them) but as its first and last character; -1 if there is none.
   */
  private static int strayQuote(String part, int eq) {
    int inKey = part.substring(0, eq).indexOf('"');
    if (inKey >= 0) {
      return inKey;
    }
    int from = eq + 1;
    int to = part.length();
    while (from < to && part.charAt(from) <= ' ') {
      from++;
    }
    while (to > from && part.charAt(to - 1) <= ' ') {
      to--;
    }
    String value = part.substring(from, to);
    int first = value.indexOf('"');
    if (first < 0) {
      return -1;
    }
    boolean enclosed = value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"");
    int inner = value.substring(1, Math.max(1, value.length() - 1)).indexOf('"');
    if (enclosed && inner < 0) {
      return -1;
    }
    return from + (inner >= 0 ? inner + 1 : first);
  }

  /** {@code value} without the double quotes around it, if it is quoted whole. */
  private static String unquoted(String value) {
    return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
        ? value.substring(1, value.length() - 1)
        : value;
  }
}
