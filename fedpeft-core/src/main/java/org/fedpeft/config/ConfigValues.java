package org.fedpeft.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  /**
   * An error about several keys (a value that conflicts with another), prefixed with where their
   * values came from: each file and line (or {@code --set}) once, in the order of {@code keys};
   * keys that kept their default are left out unless all did.
   */
  public ConfigException error(List<String> keys, String message) {
    return new ConfigException(where(keys) + ": " + message);
  }

  private String where(List<String> keys) {
    Set<String> places = new LinkedHashSet<>();
    for (String k : keys) {
      if (origins.containsKey(k)) {
        places.add(origins.get(k));
      }
    }
    return places.isEmpty() ? "default" : String.join(", ", places);
  }

  /**
   * {@code e} with the origins of the keys it is {@link ConfigException#about} in front of its
   * message; {@code e} itself if it names none.
   */
  public ConfigException locate(ConfigException e) {
    return e.keys().isEmpty() ? e : e.located(where(e.keys()) + ": ");
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
