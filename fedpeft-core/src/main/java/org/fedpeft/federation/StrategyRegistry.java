package org.fedpeft.federation;

import java.util.Collections;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The strategies fedpeft knows, by name, found with {@link ServiceLoader} (fedpeft-core's service
 * file lists the built-in ones: the providers in {@link Strategies} and FedBE's, {@code
 * org.fedpeft.peft.expansion.FedBeStrategy.Provider}).
 */
public final class StrategyRegistry {

  private static Map<String, StrategyProvider> providers;

  private StrategyRegistry() {}

  private static synchronized Map<String, StrategyProvider> providers() {
    if (providers == null) {
      Map<String, StrategyProvider> m = new TreeMap<>();
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      for (StrategyProvider p :
          ServiceLoader.load(
              StrategyProvider.class, cl != null ? cl : StrategyRegistry.class.getClassLoader())) {
        StrategyProvider before = m.putIfAbsent(p.name(), p);
        if (before != null) {
          throw new IllegalStateException(
              "strategy "
                  + p.name()
                  + " is registered twice ("
                  + before.getClass().getName()
                  + " and "
                  + p.getClass().getName()
                  + ")");
        }
      }
      providers = Collections.unmodifiableMap(m);
    }
    return providers;
  }

  /** The provider of that name; throws listing the known names otherwise. */
  public static StrategyProvider get(String name) {
    StrategyProvider p = providers().get(name);
    if (p == null) {
      throw new IllegalArgumentException(
          "unknown server.strategy \"" + name + "\" (known: " + providers().keySet() + ")");
    }
    return p;
  }

  /** Every registered provider by name, sorted. */
  public static Map<String, StrategyProvider> all() {
    return providers();
  }

  /**
   * Markdown for docs/config.md: every registered strategy with its {@link
   * StrategyProvider#description()}, the values {@code server.strategy} accepts.
   */
  public static String markdown() {
    StringBuilder b =
        new StringBuilder(
            "\n## Aggregation strategies\n\n"
                + "`server.strategy` names one of these (a strategy's own options are"
                + " `server.<strategy>.<option>`, in the table above):\n\n"
                + "| strategy | what it does |\n|---|---|\n");
    for (StrategyProvider p : providers().values()) {
      b.append("| `").append(p.name()).append("` | ").append(p.description()).append(" |\n");
    }
    return b.toString();
  }
}
