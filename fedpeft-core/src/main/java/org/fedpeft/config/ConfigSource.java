package org.fedpeft.config;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Values read from one place (a TOML file, a saved config.json, a map built in code), flat by
 * dotted key, with the line each key was defined on where that is known.
 *
 * @param name names the source in errors, e.g. the file's path
 * @param values dotted key to String, Long, Double, Boolean or List, in the source's order
 * @param lines dotted key to its 1-based line in the source; keys without a line are allowed
 * @param typed whether the values keep the types their source wrote (a TOML file: {@code 8} is a
 *     number, {@code "8"} a string), so that a string where a number or true/false is expected is
 *     refused rather than read as one; false for sources whose values are text (a saved
 *     config.json)
 */
public record ConfigSource(
    String name, Map<String, Object> values, Map<String, Integer> lines, boolean typed) {

  public ConfigSource {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    lines = Map.copyOf(lines);
  }

  /** Values whose strings may hold numbers or true/false ({@link #typed} false). */
  public ConfigSource(String name, Map<String, Object> values, Map<String, Integer> lines) {
    this(name, values, lines, false);
  }

  /** Values without line numbers. */
  public static ConfigSource of(String name, Map<String, Object> values) {
    return new ConfigSource(name, values, Map.of());
  }

  /**
   * This source with each relative path among {@code keys} read from {@code folder} (the folder of
   * the config file that holds it), so that a config file means the same files from any working
   * directory. A key that is absent, blank, not a string, or already absolute is kept as it is;
   * {@code keepIf} names values that are not paths (a bundled model's name, say).
   */
  public ConfigSource withPathsFrom(
      Path folder, Collection<String> keys, java.util.function.Predicate<String> keepIf) {
    Map<String, Object> resolved = new LinkedHashMap<>(values);
    for (String key : keys) {
      if (resolved.get(key) instanceof String v
          && !v.isBlank()
          && !keepIf.test(v)
          && !Path.of(v).isAbsolute()) {
        resolved.put(key, folder.resolve(v).normalize().toString());
      }
    }
    return new ConfigSource(name, resolved, lines, typed);
  }

  /** Where {@code key} was defined, for an error: {@code name:line}, or {@code name}. */
  public String where(String key) {
    Integer line = lines.get(key);
    return line == null ? name : name + ":" + line;
  }
}
