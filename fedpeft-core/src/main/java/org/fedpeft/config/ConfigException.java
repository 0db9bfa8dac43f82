package org.fedpeft.config;

/** A configuration file or value is invalid; the message names the file, line or key. */
public final class ConfigException extends IllegalArgumentException {
  public ConfigException(String message) {
    super(message);
  }
}
