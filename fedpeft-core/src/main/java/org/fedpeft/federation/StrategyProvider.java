package org.fedpeft.federation;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A registered federated strategy: builds a {@link Strategy} by name from shared settings and the
 * run's adapter. Found with {@link java.util.ServiceLoader} ({@code
 * META-INF/services/org.fedpeft.federation.StrategyProvider}), so a method package can bring its
 * own strategy without a line changed elsewhere; see {@link StrategyRegistry}.
 */
public interface StrategyProvider {

  /** The name users write in {@code server.strategy}, e.g. {@code fedit}. */
  String name();

  /** One line for the docs. */
  String description();

  /**
   * Builds the strategy.
   *
   * @throws IllegalArgumentException if the run's adapter does not suit the strategy, saying why
   */
  Strategy create(Context context);

  /**
   * What a strategy is built from.
   *
   * @param options shared settings: minimum clients, aggregator (DP wrapper included), server
   *     optimiser, per-client config
   * @param adapterMethod the run's adapter method, or null for a head only
   * @param adapterOptions the adapter's options (copied, sorted)
   */
  record Context(
      StrategyOptions options, String adapterMethod, Map<String, String> adapterOptions) {
    /** Validates and copies. */
    public Context {
      Objects.requireNonNull(options, "options");
      adapterOptions =
          java.util.Collections.unmodifiableMap(
              new TreeMap<>(Objects.requireNonNull(adapterOptions)));
    }

    /** Throws unless the adapter is LoRA. */
    public void requireLora(String strategy) {
      if (!"lora".equals(adapterMethod)) {
        throw new IllegalArgumentException(
            "server.strategy = " + strategy + " needs adapter.method = lora, got " + adapterMethod);
      }
    }
  }
}
