package org.fedpeft.federation;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedpeft.random.Seeds;

/**
 * The config a client receives with its instructions, as a pure function of (state, round, client):
 * the run's settings, a per-round seed, the client's compute budget ({@link ConfigKeys#BUDGET}), or
 * anything a method's strategy assigns per client. Being pure, it can be recomputed in {@code
 * aggregate} to check that a client sent only what it was asked to train.
 */
@FunctionalInterface
public interface ClientConfigurer {

  /**
   * @param state the state after the previous round
   * @param round the round being configured
   * @param clientId the client
   * @return the config for that client (not null)
   */
  Map<String, String> configure(ServerState state, int round, String clientId);

  /** No config. */
  static ClientConfigurer none() {
    return (state, round, clientId) -> Map.of();
  }

  /** The same config for every client and round. */
  static ClientConfigurer fixed(Map<String, String> config) {
    Map<String, String> copy = Wire.sortedCopy(config, "config");
    return (state, round, clientId) -> copy;
  }

  /**
   * Per-client entries, e.g. each client's budget; a client absent from the map gets none.
   *
   * @param byClient config per client id
   */
  static ClientConfigurer perClient(Map<String, Map<String, String>> byClient) {
    Map<String, Map<String, String>> copy = new TreeMap<>();
    byClient.forEach((id, c) -> copy.put(id, Wire.sortedCopy(c, "config of client " + id)));
    return (state, round, clientId) -> copy.getOrDefault(clientId, Map.of());
  }

  /**
   * A fresh seed per (round, client) under {@link ConfigKeys#SEED}, derived from the run seed with
   * {@link Seeds#derive}: the same on every machine and after a resume.
   */
  static ClientConfigurer seeded(long runSeed) {
    return (state, round, clientId) ->
        Map.of(
            ConfigKeys.SEED,
            Long.toString(Seeds.derive(runSeed, "local-training", round, Seeds.key(clientId))));
  }

  /** This config merged with another's; on a shared key, {@code other} wins. */
  default ClientConfigurer andThen(ClientConfigurer other) {
    Objects.requireNonNull(other, "other");
    return (state, round, clientId) -> {
      Map<String, String> merged = new TreeMap<>(configure(state, round, clientId));
      merged.putAll(other.configure(state, round, clientId));
      return merged;
    };
  }
}
