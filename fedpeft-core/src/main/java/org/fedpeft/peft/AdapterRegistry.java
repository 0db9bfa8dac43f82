package org.fedpeft.peft;

import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.peft.lora.LoraMethod;

/** The adapter methods fedpeft knows, by name. */
public final class AdapterRegistry {

  private static final Map<String, AdapterMethod> METHODS = new TreeMap<>();

  static {
    register(new LoraMethod());
  }

  private AdapterRegistry() {}

  /** Adds a method; names must be unique. */
  public static synchronized void register(AdapterMethod method) {
    if (METHODS.putIfAbsent(method.name(), method) != null) {
      throw new IllegalStateException("adapter method " + method.name() + " is already registered");
    }
  }

  /** The method of that name; throws listing the known names otherwise. */
  public static synchronized AdapterMethod get(String name) {
    AdapterMethod m = METHODS.get(name);
    if (m == null) {
      throw new IllegalArgumentException(
          "unknown adapter method \"" + name + "\" (known: " + METHODS.keySet() + ")");
    }
    return m;
  }

  /** Registered methods by name, sorted. */
  public static synchronized Map<String, AdapterMethod> all() {
    return Map.copyOf(METHODS);
  }
}
