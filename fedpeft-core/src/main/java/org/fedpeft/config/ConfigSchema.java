package org.fedpeft.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The documented keys of a config file: type, default, description and a check. Values from a file
 * and {@code --set KEY=VALUE} overrides are merged, typed and validated here; unknown keys and bad
 * values are rejected with the key named. Keys under an open prefix (such as {@code adapter.}) pass
 * through as strings for a plugin to validate.
 */
public final class ConfigSchema {

  /** The type of a key's value. */
  public enum Type {
    INT,
    LONG,
    DOUBLE,
    BOOLEAN,
    STRING,
    STRING_LIST
  }

  /** One documented key. */
  public record Key(
      String name,
      Type type,
      Object defaultValue,
      String description,
      Predicate<Object> check,
      String rule) {}

  private final Map<String, Key> keys = new LinkedHashMap<>();
  private final List<String> openPrefixes = new ArrayList<>();

  /** Adds a key; {@code rule} describes what {@code check} accepts (for errors and docs). */
  public ConfigSchema key(
      String name,
      Type type,
      Object def,
      String description,
      Predicate<Object> check,
      String rule) {
    keys.put(name, new Key(name, type, def, description, check, rule));
    return this;
  }

  /** Adds a key any value of its type satisfies. */
  public ConfigSchema key(String name, Type type, Object def, String description) {
    return key(name, type, def, description, v -> true, "");
  }

  /** Keys starting with {@code prefix} (e.g. {@code "adapter."}) are passed through as strings. */
  public ConfigSchema open(String prefix, String description) {
    openPrefixes.add(prefix);
    keys.put(prefix + "*", new Key(prefix + "*", Type.STRING, null, description, v -> true, ""));
    return this;
  }

  public Map<String, Key> keys() {
    return keys;
  }

  /**
   * Merges file values (typed by the TOML reader) and string overrides, applies defaults and checks
   * every value.
   *
   * @param source names the file in errors
   */
  public Map<String, Object> resolve(
      Map<String, Object> fileValues, Map<String, String> overrides, String source) {
    Map<String, Object> out = new TreeMap<>();
    for (Key k : keys.values()) {
      if (k.defaultValue() != null) {
        out.put(k.name(), k.defaultValue());
      }
    }
    for (var e : fileValues.entrySet()) {
      out.put(e.getKey(), coerce(e.getKey(), e.getValue(), source));
    }
    for (var e : overrides.entrySet()) {
      out.put(e.getKey(), coerce(e.getKey(), parseOverride(e.getKey(), e.getValue()), "--set"));
    }
    for (var e : out.entrySet()) {
      Key k = keys.get(e.getKey());
      if (k != null && !k.check().test(e.getValue())) {
        throw new ConfigException(
            source + ": " + e.getKey() + " = " + e.getValue() + " is invalid: " + k.rule());
      }
    }
    return out;
  }

  private Object parseOverride(String key, String raw) {
    Key k = keys.get(key);
    if (k == null || k.type() != Type.STRING_LIST) {
      return raw;
    }
    List<Object> list = new ArrayList<>();
    for (String s : raw.split(",")) {
      if (!s.isBlank()) {
        list.add(s.strip());
      }
    }
    return list;
  }

  private Object coerce(String key, Object v, String source) {
    Key k = keys.get(key);
    if (k == null) {
      for (String p : openPrefixes) {
        if (key.startsWith(p) && key.length() > p.length()) {
          return v instanceof List<?> l
              ? String.join("+", l.stream().map(String::valueOf).toList())
              : String.valueOf(v);
        }
      }
      throw new ConfigException(
          source
              + ": unknown key \""
              + key
              + "\" (known keys: "
              + String.join(", ", keys.keySet())
              + ")");
    }
    String bad = source + ": " + key + " must be " + describe(k.type()) + ", got " + v;
    try {
      return switch (k.type()) {
        case INT -> {
          long l = v instanceof Number n ? asWhole(n, bad) : Long.parseLong(v.toString().strip());
          if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new ConfigException(bad);
          }
          yield (int) l;
        }
        case LONG -> v instanceof Number n ? asWhole(n, bad) : Long.parseLong(v.toString().strip());
        case DOUBLE -> {
          double d = v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
          if (!Double.isFinite(d)) {
            throw new ConfigException(bad);
          }
          yield d;
        }
        case BOOLEAN -> {
          if (v instanceof Boolean b) {
            yield b;
          }
          String s = v.toString().strip();
          if (!s.equals("true") && !s.equals("false")) {
            throw new ConfigException(bad);
          }
          yield Boolean.parseBoolean(s);
        }
        case STRING -> {
          if (!(v instanceof String) && !(v instanceof Number) && !(v instanceof Boolean)) {
            throw new ConfigException(bad);
          }
          yield v.toString();
        }
        case STRING_LIST -> {
          if (!(v instanceof List<?> l)) {
            throw new ConfigException(bad);
          }
          yield l.stream().map(String::valueOf).toList();
        }
      };
    } catch (NumberFormatException e) {
      throw new ConfigException(bad);
    }
  }

  private static long asWhole(Number n, String bad) {
    if (n instanceof Double d) {
      if (d != Math.rint(d)) {
        throw new ConfigException(bad);
      }
      return d.longValue();
    }
    return n.longValue();
  }

  private static String describe(Type t) {
    return switch (t) {
      case INT, LONG -> "an integer";
      case DOUBLE -> "a number";
      case BOOLEAN -> "true or false";
      case STRING -> "a string";
      case STRING_LIST -> "a list of strings";
    };
  }

  /** A Markdown table of the keys, for docs and {@code --help}. */
  public String markdown() {
    StringBuilder b = new StringBuilder("| key | type | default | meaning |\n|---|---|---|---|\n");
    for (Key k : keys.values()) {
      b.append("| `")
          .append(k.name())
          .append("` | ")
          .append(describe(k.type()))
          .append(" | ")
          .append(k.defaultValue() == null ? "" : "`" + k.defaultValue() + "`")
          .append(" | ")
          .append(k.description().replace("|", "\\|"))
          .append(k.rule().isEmpty() ? "" : " (" + k.rule().replace("|", "\\|") + ")")
          .append(" |\n");
    }
    return b.toString();
  }
}
