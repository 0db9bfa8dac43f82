package org.fedpeft.federation;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedpeft.config.ConfigSchema;

/**
 * A registered federated strategy: builds a {@link Strategy} by name from shared settings and the
 * run's adapter. Found with {@link java.util.ServiceLoader} ({@code
 * META-INF/services/org.fedpeft.federation.StrategyProvider}), so a method package can bring its
 * own strategy without a line changed elsewhere; see {@link StrategyRegistry}.
 */
public interface StrategyProvider {

  /** The name users write in {@code server.strategy}, e.g. {@code fedit}. */
  String name();

  /**
   * One line saying what the strategy does: its row in docs/config.md's strategy table ({@link
   * StrategyRegistry#markdown()}, printed by {@code simulate --list-keys}).
   */
  String description();

  /**
   * The strategy's own options, each with name, type, default, check and meaning; in a config they
   * are {@code server.<name>.<option>} (docs/config.md lists them), and {@link #create} gets the
   * values in {@link Context#strategyOptions()}. Default: none.
   */
  default ConfigSchema optionSchema() {
    return new ConfigSchema();
  }

  /**
   * Whether the strategy reads each client's compute budget ({@link ConfigKeys#BUDGET} in the
   * per-client config, set by {@code client.budgets}), e.g. HetLoRA's and FlexLoRA's client ranks,
   * FedBE's blocks. A simulation config refuses {@code client.budgets} unless the strategy or the
   * adapter method ({@code AdapterMethod.usesBudgets}) reads it, as the budgets would change
   * nothing. Default: false.
   */
  default boolean usesBudgets() {
    return false;
  }

  /**
   * Whether the strategy, run with this adapter, gives clients of different compute budgets
   * different work: {@link #usesBudgets()} narrowed by the adapter's options (HetLoRA and FlexLoRA
   * with LoRA rank 1 give every client rank 1, FedBE with one block gives every client that block).
   * An adapter the strategy cannot run with counts as read (the strategy's own error about it is
   * the one to report). Default: {@link #usesBudgets()}.
   *
   * @param adapterMethod the run's adapter method, or null for none
   * @param adapterOptions the adapter's options set (absent ones take their defaults)
   */
  default boolean usesBudgets(String adapterMethod, Map<String, String> adapterOptions) {
    return usesBudgets();
  }

  /**
   * Refuses an adapter the strategy cannot run with (FedEx-LoRA with anything but LoRA, FedBE's
   * strategy with anything but FedBE's blocks), from the adapter's method and options alone: a
   * config is checked with it before the model loads, and {@link #create} calls it too. Checks that
   * need the model stay in {@link #create}. Default: every adapter.
   *
   * @param adapterMethod the run's adapter method, or null for none
   * @param adapterOptions the adapter's options set, with those the strategy implies (FFA-LoRA's
   *     {@code train_a = false})
   * @throws IllegalArgumentException saying why, naming the keys ({@code server.strategy = ...
   *     needs adapter.method = ...}); an {@link AdapterOptionRefusedException}, which names the
   *     options as data too, where the values of some adapter options are refused
   */
  default void requireAdapter(String adapterMethod, Map<String, String> adapterOptions) {}

  /**
   * Builds the strategy.
   *
   * @throws IllegalArgumentException if the run's adapter does not suit the strategy ({@link
   *     #requireAdapter}), saying why
   */
  Strategy create(Context context);

  /**
   * Throws unless {@code adapterMethod} is LoRA.
   *
   * @param adapterMethod the run's adapter method, or null for none
   */
  static void requireLora(String strategy, String adapterMethod) {
    if (!"lora".equals(adapterMethod)) {
      throw new IllegalArgumentException(
          "server.strategy = "
              + strategy
              + " needs adapter.method = lora, got "
              + (adapterMethod == null ? "none" : adapterMethod));
    }
  }

  /**
   * What a strategy is built from.
   *
   * @param options shared settings: minimum clients, aggregator (client-level DP's in place of the
   *     weighted mean, when the run asks for it), server optimiser, per-client config
   * @param adapterMethod the run's adapter method, or null for a head only
   * @param adapterOptions the adapter's options (copied, sorted)
   * @param strategyOptions the strategy's own options by option name, as text (copied, sorted;
   *     absent ones take the defaults of {@link #optionSchema()})
   */
  record Context(
      StrategyOptions options,
      String adapterMethod,
      Map<String, String> adapterOptions,
      Map<String, String> strategyOptions) {
    /** Validates and copies. */
    public Context {
      Objects.requireNonNull(options, "options");
      adapterOptions =
          java.util.Collections.unmodifiableMap(
              new TreeMap<>(Objects.requireNonNull(adapterOptions)));
      strategyOptions =
          java.util.Collections.unmodifiableMap(
              new TreeMap<>(Objects.requireNonNull(strategyOptions)));
    }

    /** A context without strategy options. */
    public Context(
        StrategyOptions options, String adapterMethod, Map<String, String> adapterOptions) {
      this(options, adapterMethod, adapterOptions, Map.of());
    }
  }
}
