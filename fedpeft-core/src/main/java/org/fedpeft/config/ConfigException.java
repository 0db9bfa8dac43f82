package org.fedpeft.config;

import java.util.List;

/**
 * A configuration file or value is invalid; the message names the file, line or key.
 *
 * <p>A check that sees values but not where they came from (a section's constructor comparing two
 * keys, say) throws {@link #about}, naming the keys; the code that holds the {@link ConfigValues}
 * then puts the keys' file and line (or {@code --set}) in front of the message ({@link
 * ConfigValues#locate}).
 */
public final class ConfigException extends IllegalArgumentException {

  private final List<String> keys;

  public ConfigException(String message) {
    this(message, List.of(), null);
  }

  private ConfigException(String message, List<String> keys, Throwable cause) {
    super(message, cause);
    this.keys = List.copyOf(keys);
  }

  /** An error about {@code keys}, whose message does not yet say where their values came from. */
  public static ConfigException about(List<String> keys, String message) {
    return new ConfigException(message, keys, null);
  }

  /** The same error with {@code prefix} in front of its message, located. */
  ConfigException located(String prefix) {
    return new ConfigException(prefix + getMessage(), List.of(), this);
  }

  /** The keys the error is about, where the message does not yet say where they came from. */
  public List<String> keys() {
    return keys;
  }
}
