package org.fedpeft.peft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.config.StringValues;
import org.fedpeft.io.Words;

/**
 * Flat {@code key=value} options of an adapter method, read with the key named in every error and
 * unknown keys rejected.
 */
public final class Options {

  private final String owner;
  private final Map<String, String> values;
  private final Set<String> read = new HashSet<>();

  public Options(String owner, Map<String, String> values) {
    this.owner = owner;
    this.values = new LinkedHashMap<>(values);
  }

  /**
   * Parses {@code "rank=8,alpha=16,targets=query+value"}; an empty string gives no options.
   *
   * @throws IllegalArgumentException for a part that is not key=value, or a key given twice (which
   *     silently kept the last value)
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

  public int getInt(String key, int def) {
    String v = take(key);
    return v == null ? def : StringValues.toInt(v, what(key));
  }

  public float getFloat(String key, float def) {
    String v = take(key);
    return v == null ? def : (float) StringValues.toDouble(v, what(key));
  }

  public boolean getBoolean(String key, boolean def) {
    String v = take(key);
    return v == null ? def : StringValues.toBoolean(v, what(key));
  }

  public String getString(String key, String def) {
    String v = take(key);
    return v == null ? def : v;
  }

  /** A list separated by '+' or ';' (commas separate options). */
  public List<String> getList(String key, List<String> def) {
    String v = take(key);
    if (v == null) {
      return def;
    }
    List<String> out = new ArrayList<>();
    for (String s : v.split("[+;]")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  /** Throws naming every key that no getter asked for. */
  public void rejectUnknown() {
    List<String> unknown = new ArrayList<>();
    for (String k : values.keySet()) {
      if (!read.contains(k)) {
        unknown.add(k);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          owner
              + ": unknown "
              + Words.plural(unknown.size(), "option")
              + " "
              + unknown
              + " (known: "
              + Arrays.toString(read.stream().sorted().toArray())
              + ")");
    }
  }

  private String take(String key) {
    read.add(key);
    return values.get(key);
  }

  private String what(String key) {
    return org.fedpeft.config.OptionException.name(owner, key);
  }
}
