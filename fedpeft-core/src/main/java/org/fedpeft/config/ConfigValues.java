package org.fedpeft.config;

import java.util.List;
import java.util.Map;

/**
 * Typed, checked values of a {@link ConfigSchema}, each with where it came from, so that a section
 * can read its keys and a later check can name the file and line of the value it rejects.
 *
 * @param values key to Integer, Long, Double, Boolean, String or List of String (as the key's
 *     {@link ConfigSchema.Type}); sorted by key
 * @param origins key to where its value was set ({@code run.toml:12}, {@code --set}); keys that
 *     kept their default have no entry
 */
public record ConfigValues(Map<String, Object> values, Map<String, String> origins) {

  /** Where {@code key}'s value came from: a file and line, {@code --set}, or {@code default}. */
  public String where(String key) {
    return origins.getOrDefault(key, "default");
  }

  /** An error about {@code key}, prefixed with where its value came from. */
  public ConfigException error(String key, String message) {
    return new ConfigException(where(key) + ": " + message);
  }

  public Object get(String key) {
    Object v = values.get(key);
    if (v == null) {
      throw new IllegalStateException("no value for config key " + key);
    }
    return v;
  }

  public int getInt(String key) {
    return (Integer) get(key);
  }

  public long getLong(String key) {
    return (Long) get(key);
  }

  public double getDouble(String key) {
    return (Double) get(key);
  }

  public boolean getBoolean(String key) {
    return (Boolean) get(key);
  }

  public String getString(String key) {
    return (String) get(key);
  }

  public List<String> getStringList(String key) {
    return ((List<?>) get(key)).stream().map(String.class::cast).toList();
  }
}
