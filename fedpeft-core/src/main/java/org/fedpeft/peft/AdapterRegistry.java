package org.fedpeft.peft;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The adapter methods fedpeft knows, by name. Methods are found with {@link ServiceLoader}: a
 * method registers itself by naming its {@link AdapterMethod} class in a {@code
 * META-INF/services/org.fedpeft.peft.AdapterMethod} file on the class path (fedpeft-core's own file
 * lists the built-in methods), so adding a method needs no line changed here.
 */
public final class AdapterRegistry {

  private static final Map<String, AdapterMethod> METHODS = new TreeMap<>();
  private static boolean loaded;

  private AdapterRegistry() {}

  private static void loadOnce() {
    if (loaded) {
      return;
    }
    loaded = true;
    for (AdapterMethod m : ServiceLoader.load(AdapterMethod.class, loader())) {
      register(m);
    }
  }

  private static ClassLoader loader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : AdapterRegistry.class.getClassLoader();
  }

  /**
   * Adds a method programmatically (the service file is the usual way); names must be unique.
   *
   * @throws IllegalStateException if a method of that name is registered
   */
  public static synchronized void register(AdapterMethod method) {
    loadOnce();
    if (METHODS.putIfAbsent(method.name(), method) != null) {
      throw new IllegalStateException(
          "adapter method "
              + method.name()
              + " is registered twice ("
              + METHODS.get(method.name()).getClass().getName()
              + " and "
              + method.getClass().getName()
              + ")");
    }
  }

  /** The method of that name; throws listing the known names otherwise. */
  public static synchronized AdapterMethod get(String name) {
    loadOnce();
    AdapterMethod m = METHODS.get(name);
    if (m == null) {
      throw new IllegalArgumentException(
          "unknown adapter method \"" + name + "\" (known: " + METHODS.keySet() + ")");
    }
    return m;
  }

  /**
   * The methods fedpeft-core itself ships (their classes come from the same jar or class folder as
   * this registry), by name: what the project's generated docs list. Methods that other jars or a
   * test class path register are left out.
   */
  public static synchronized Map<String, AdapterMethod> builtIn() {
    loadOnce();
    java.security.CodeSource own = AdapterRegistry.class.getProtectionDomain().getCodeSource();
    Map<String, AdapterMethod> m = new TreeMap<>();
    METHODS.forEach(
        (name, method) -> {
          java.security.CodeSource cs = method.getClass().getProtectionDomain().getCodeSource();
          if (own == null || (cs != null && own.getLocation().equals(cs.getLocation()))) {
            m.put(name, method);
          }
        });
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Registered methods by name, sorted. */
  public static synchronized Map<String, AdapterMethod> all() {
    loadOnce();
    return java.util.Collections.unmodifiableMap(new TreeMap<>(METHODS));
  }
}
