package org.fedpeft.config;

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
 */
public record ConfigSource(String name, Map<String, Object> values, Map<String, Integer> lines) {

  public ConfigSource {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    lines = Map.copyOf(lines);
  }

  /** Values without line numbers. */
  public static ConfigSource of(String name, Map<String, Object> values) {
    return new ConfigSource(name, values, Map.of());
  }

  /** Where {@code key} was defined, for an error: {@code name:line}, or {@code name}. */
  public String where(String key) {
    Integer line = lines.get(key);
    return line == null ? name : name + ":" + line;
  }
}
