package org.fedpeft.peft;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a client knows about the round it is about to train, as the adapter's lifecycle sees it.
 *
 * @param round the round number, at least 1
 * @param seed this client's seed for this round (derived from the run seed, the round and the
 *     client), the source of every random choice the method makes in the round
 * @param config the per-client config the strategy sent (string to string; e.g. Ravan's head budget
 *     {@code budget}, FedBE's assigned blocks), copied and sorted
 */
public record RoundSpec(int round, long seed, Map<String, String> config) {

  /** Validates and copies. */
  public RoundSpec {
    if (round < 1) {
      throw new IllegalArgumentException("round must be at least 1, got " + round);
    }
    config = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(config)));
  }

  /** The value of a config key as a double, or {@code fallback} when absent. */
  public double configDouble(String key, double fallback) {
    String v = config.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "round " + round + ": config " + key + " = \"" + v + "\" is not a number", e);
    }
  }
}
