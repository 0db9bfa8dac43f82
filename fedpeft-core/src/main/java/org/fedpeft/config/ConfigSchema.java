package org.fedpeft.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.fedpeft.io.CommandName;

/**
 * The documented keys of a config: name, type, default, meaning and a check. Values from a file and
 * {@code --set KEY=VALUE} overrides are merged, typed and checked by {@link #resolve}; string
 * options such as an adapter method's {@code rank=8} are read by {@link #readOptions}. Unknown keys
 * and bad values are rejected naming the key and where its value came from; an unknown key gets the
 * nearest known keys ({@link NearestKeys}). Keys under an open prefix (such as {@code adapter.})
 * pass through as strings for a plugin to check. A method's option that only a federated run reads
 * is marked {@link #federatedOnly(String, String)}, and a key whose value names a file or folder
 * {@link #path(String)}. {@link #markdown} documents the keys.
 *
 * <p>Sections of a larger config each declare their own schema; {@link #concat} joins them.
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

  /**
   * One documented key. Its {@code description} and {@code rule} name a command to run by {@link
   * CommandName#PLACEHOLDER}, which errors and the Markdown tables show as the name fedpeft was run
   * by ({@link CommandName#named}).
   *
   * @param defaultValue Integer, Long, Double, Boolean, String or List of String as {@code type};
   *     null for none (the key is then absent unless set)
   * @param check accepts or rejects a value of the key's Java type; it may instead throw an {@link
   *     IllegalArgumentException} whose message says why this value is wrong, which errors then
   *     give in place of {@code rule}
   * @param rule what {@code check} accepts, in words (for errors and docs), or empty
   */
  public record Key(
      String name,
      Type type,
      Object defaultValue,
      String description,
      Predicate<Object> check,
      String rule) {}

  private final Map<String, Key> keys = new LinkedHashMap<>();
  private final List<String> openPrefixes = new ArrayList<>();
  private final Map<String, String> federatedOnly = new LinkedHashMap<>();
  private final java.util.Set<String> paths = new java.util.LinkedHashSet<>();
  private String unknownKeyHint = "";

  /** Adds a key; {@code rule} describes what {@code check} accepts (for errors and docs). */
  public ConfigSchema key(
      String name,
      Type type,
      Object def,
      String description,
      Predicate<Object> check,
      String rule) {
    if (keys.containsKey(name)) {
      throw new IllegalStateException("config key " + name + " is declared twice");
    }
    keys.put(name, new Key(name, type, def, description, check, rule));
    return this;
  }

  /** Adds a key any value of its type satisfies. */
  public ConfigSchema key(String name, Type type, Object def, String description) {
    return key(name, type, def, description, v -> true, "");
  }

  /**
   * Marks key {@code name} as one that only a federated run reads: how a client's rounds are split,
   * what the server allocates to each client, how a client with a budget below 1 picks what it
   * trains. Centralised training ({@code fedpeft train}) refuses it, saying {@code why}; the docs
   * say so.
   *
   * @param why why centralised training does not read it, a phrase: {@code "train trains every
   *     block"}
   */
  public ConfigSchema federatedOnly(String name, String why) {
    get(name);
    federatedOnly.put(name, why);
    return this;
  }

  /**
   * The keys only a federated run reads ({@link #federatedOnly(String, String)}), each with why
   * centralised training does not, in declaration order.
   */
  public Map<String, String> federatedOnly() {
    return java.util.Collections.unmodifiableMap(federatedOnly);
  }

  /**
   * Marks key {@code name} as one whose value, unless empty, names a file or folder (Ravan's {@code
   * factors}, {@code data.file}): a config file's relative value is read from the file's folder,
   * and a run records it as an absolute path, so that a resume finds the file from any working
   * directory. An adapter method marks its own options so in its option schema ({@code
   * AdapterMethod.optionSchema()}).
   */
  public ConfigSchema path(String name) {
    get(name);
    paths.add(name);
    return this;
  }

  /** The keys marked {@link #path(String)}, in declaration order. */
  public java.util.Set<String> paths() {
    return java.util.Collections.unmodifiableSet(paths);
  }

  /** Keys starting with {@code prefix} (e.g. {@code "adapter."}) are passed through as strings. */
  public ConfigSchema open(String prefix, String description) {
    openPrefixes.add(prefix);
    return key(prefix + "*", Type.STRING, null, description);
  }

  /**
   * Text added to an unknown-key error when no known key is near, e.g. {@code "every key: {fedpeft}
   * simulate --list-keys"} ({@link CommandName#PLACEHOLDER} shown as the name fedpeft was run by).
   */
  public ConfigSchema unknownKeyHint(String hint) {
    this.unknownKeyHint = hint;
    return this;
  }

  /** The keys of {@code parts} in order, with their open prefixes; a key declared twice throws. */
  public static ConfigSchema concat(ConfigSchema... parts) {
    ConfigSchema all = new ConfigSchema();
    for (ConfigSchema p : parts) {
      for (Key k : p.keys.values()) {
        all.key(k.name(), k.type(), k.defaultValue(), k.description(), k.check(), k.rule());
      }
      all.openPrefixes.addAll(p.openPrefixes);
      all.federatedOnly.putAll(p.federatedOnly);
      all.paths.addAll(p.paths);
    }
    return all;
  }

  /** The keys in declaration order; an open prefix appears as {@code prefix*}. */
  public Map<String, Key> keys() {
    return keys;
  }

  /** The key of that name; throws if the schema has none. */
  public Key get(String name) {
    Key k = keys.get(name);
    if (k == null) {
      throw new IllegalArgumentException("no config key " + name);
    }
    return k;
  }

  /**
   * Throws a {@link ConfigException} naming the key, the value and the rule if {@code value} fails
   * the key's check (for records that validate in their constructor).
   */
  public void require(String name, Object value) {
    Key k = get(name);
    String why = failure(k, value);
    if (why != null) {
      throw new ConfigException(name + " = " + value + " is invalid: " + why);
    }
  }

  /** Why {@code value} fails the key's check (the check's own reason, or its rule), or null. */
  private static String failure(Key k, Object value) {
    try {
      return k.check().test(value) ? null : CommandName.named(k.rule());
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * Merges a source's values and {@code --set} overrides (which win), applies defaults and checks
   * every value. A {@link Type#STRING_LIST} override is read as a TOML array ({@code ["a", "b"]})
   * or split at commas. Errors name the key and the file and line (or {@code --set}) of the
   * offending value.
   */
  public ConfigValues resolve(ConfigSource file, Map<String, String> overrides) {
    Map<String, Object> out = new TreeMap<>();
    Map<String, String> origins = new TreeMap<>();
    for (Key k : keys.values()) {
      if (k.defaultValue() != null) {
        out.put(k.name(), k.defaultValue());
      }
    }
    for (var e : file.values().entrySet()) {
      String where = file.where(e.getKey());
      out.put(e.getKey(), coerce(e.getKey(), e.getValue(), where, file.typed()));
      origins.put(e.getKey(), where);
    }
    for (var e : overrides.entrySet()) {
      out.put(
          e.getKey(), coerce(e.getKey(), parseOverride(e.getKey(), e.getValue()), "--set", false));
      origins.put(e.getKey(), "--set");
    }
    for (var e : out.entrySet()) {
      Key k = keys.get(e.getKey());
      String why = k == null ? null : failure(k, e.getValue());
      if (why != null) {
        throw new ConfigException(
            origins.getOrDefault(e.getKey(), "default")
                + ": "
                + e.getKey()
                + " = "
                + e.getValue()
                + " is invalid: "
                + why);
      }
    }
    return new ConfigValues(out, origins);
  }

  /**
   * Reads string options ({@code rank=8}, {@code targets=query+value}), as an adapter method gets
   * them: each is typed and checked, absent ones take their default. A {@link Type#STRING_LIST}
   * option is split at '+' or ';'. Errors start with {@code owner} and name the option; an unknown
   * option gets the nearest known ones.
   *
   * @throws OptionException for a bad value ({@code lora: option 'rank' = 0 is invalid: >= 1})
   * @throws IllegalArgumentException for an unknown option
   */
  public ConfigValues readOptions(Map<String, String> options, String owner) {
    Map<String, Object> out = new TreeMap<>();
    Map<String, String> origins = new TreeMap<>();
    for (Key k : keys.values()) {
      if (k.defaultValue() != null) {
        out.put(k.name(), k.defaultValue());
      }
    }
    for (var e : options.entrySet()) {
      String name = e.getKey();
      String unknown = unknownOption(name);
      if (unknown != null) {
        throw new ConfigException(owner + ": unknown option '" + name + "'" + unknown);
      }
      try {
        // what = "": the message is what follows the option's name, for OptionException to name
        out.put(name, readOption(name, e.getValue(), ""));
      } catch (IllegalArgumentException bad) {
        throw new OptionException(owner, name, bad.getMessage(), bad);
      }
      origins.put(name, owner);
    }
    return new ConfigValues(out, origins);
  }

  /**
   * Null if {@code name} is one of these options; else what follows the unknown option's name in an
   * error, the nearest options ({@code " (did you mean 'rank'?)"}) or, with none near, all of them
   * ({@code " (options: rank, alpha, ...)"}). {@link #readOptions} refuses with it; an entry point
   * that knows how its user writes the options ({@code train --adapter-options}) checks first with
   * it, so as to name the option its way.
   */
  public String unknownOption(String name) {
    if (keys.containsKey(name)) {
      return null;
    }
    String near = NearestKeys.didYouMean(name, keys.keySet(), "'");
    return near.isEmpty() ? " (options: " + String.join(", ", keys.keySet()) + ")" : near;
  }

  /**
   * Types and checks one string option as {@link #readOptions} does.
   *
   * @param what names the option in errors, e.g. {@code "adapter.rank (lora option)"}; the message
   *     is {@code what} followed by the rest
   * @throws IllegalArgumentException {@code what} and the value, if it has the wrong type or fails
   *     the check
   */
  public Object readOption(String name, String raw, String what) {
    Key k = get(name);
    Object v =
        switch (k.type()) {
          case INT -> StringValues.toInt(raw, what);
          case LONG -> StringValues.toLong(raw, what);
          case DOUBLE -> StringValues.toDouble(raw, what);
          case BOOLEAN -> StringValues.toBoolean(raw, what);
          case STRING -> raw;
          case STRING_LIST -> splitList(raw, "[+;]");
        };
    String why = failure(k, v);
    if (why != null) {
      // an empty list ([] in a file or --set reaches an option as ""): say so, not "=  is"
      boolean emptyList = v instanceof List<?> l && l.isEmpty() && raw.isBlank();
      throw new ConfigException(what + " = " + (emptyList ? "[]" : raw) + " is invalid: " + why);
    }
    return v;
  }

  /** The non-blank, stripped parts of {@code raw} between matches of {@code separators}. */
  public static List<String> splitList(String raw, String separators) {
    List<String> list = new ArrayList<>();
    for (String s : raw.split(separators)) {
      if (!s.isBlank()) {
        list.add(s.strip());
      }
    }
    return List.copyOf(list);
  }

  /**
   * An override's value: for a list key, or a key under an open prefix, a TOML array ({@code
   * ["query", "value"]}, as the config file writes it) is read as one; otherwise a list key's value
   * is split at commas. A value in one pair of brackets that is not a TOML array ({@code
   * [query,value]}: strings without quotes) is refused, saying how to write it; one whose brackets
   * are not one pair (a regular expression such as {@code [e].*[y]}) is read as before.
   */
  private Object parseOverride(String key, String raw) {
    Key k = keys.get(key);
    boolean list = k == null ? isOpen(key) : k.type() == Type.STRING_LIST;
    String s = raw.strip();
    if (list && s.startsWith("[") && s.endsWith("]")) {
      try {
        Object v = Toml.parse("v = " + s, "--set " + key).values().get("v");
        if (v instanceof List<?>) {
          return v;
        }
      } catch (ConfigException notToml) {
        String inside = s.substring(1, s.length() - 1);
        if (inside.indexOf('[') < 0 && inside.indexOf(']') < 0) {
          List<String> items = new ArrayList<>();
          for (String item : splitList(inside, ",")) {
            items.add(item.replaceAll("^[\"']|[\"']$", ""));
          }
          throw new ConfigException(
              "--set: "
                  + key
                  + " = "
                  + s
                  + " is not a TOML array (strings need quotes: ["
                  + String.join(", ", items.stream().map(i -> "\"" + i + "\"").toList())
                  + "]); or give a comma list: "
                  + String.join(",", items));
        }
        // brackets that are not one pair (a regular expression): the plain reading below
      }
    }
    if (k == null || k.type() != Type.STRING_LIST) {
      return raw;
    }
    return splitList(raw, ",");
  }

  private boolean isOpen(String key) {
    for (String p : openPrefixes) {
      if (key.startsWith(p) && key.length() > p.length()) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code v} as the type of {@code key}. With {@code typed} (a TOML file's value), a string for a
   * number or true/false is refused ({@code rounds = "3"}), as {@code --set} and a saved
   * config.json give every value as text.
   */
  private Object coerce(String key, Object v, String where, boolean typed) {
    Key k = keys.get(key);
    if (k == null) {
      if (isOpen(key)) {
        return v instanceof List<?> l
            ? String.join("+", l.stream().map(String::valueOf).toList())
            : String.valueOf(v);
      }
      String near = NearestKeys.didYouMean(key, keys.keySet(), "\"");
      throw new ConfigException(
          where
              + ": unknown key \""
              + key
              + "\""
              + (near.isEmpty() && !unknownKeyHint.isEmpty()
                  ? " (" + CommandName.named(unknownKeyHint) + ")"
                  : near));
    }
    String must = where + ": " + key + " must be " + describe(k.type());
    String bad = must + ", got " + v;
    if (typed && v instanceof String s && k.type() != Type.STRING && k.type() != Type.STRING_LIST) {
      throw new ConfigException(must + ", got the string \"" + s + "\" (write it without quotes)");
    }
    if (typed && v instanceof Double && (k.type() == Type.INT || k.type() == Type.LONG)) {
      throw new ConfigException(bad + " (a TOML float: write it without a point or exponent)");
    }
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

  /** A Markdown table of the keys, for docs/config.md ({@code simulate --list-keys} prints it). */
  public String markdown() {
    return markdown("key");
  }

  /** A Markdown table of the keys whose first column is headed {@code keyHeader}. */
  public String markdown(String keyHeader) {
    StringBuilder b =
        new StringBuilder("| " + keyHeader + " | type | default | meaning |\n|---|---|---|---|\n");
    for (Key k : keys.values()) {
      b.append("| `")
          .append(k.name())
          .append("` | ")
          .append(describe(k.type()))
          .append(" | ")
          .append(k.defaultValue() == null ? "" : "`" + k.defaultValue() + "`")
          .append(" | ")
          .append(CommandName.named(k.description()).replace("|", "\\|"))
          .append(
              k.rule().isEmpty()
                  ? ""
                  : " (" + CommandName.named(k.rule()).replace("|", "\\|") + ")")
          .append(
              federatedOnly.containsKey(k.name()) ? "; federated runs only (train refuses it)" : "")
          .append(" |\n");
    }
    return b.toString();
  }
}
