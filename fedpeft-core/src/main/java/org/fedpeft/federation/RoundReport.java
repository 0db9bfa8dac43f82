package org.fedpeft.federation;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What one training round produced: the new state and everything a progress line, {@code
 * metrics.jsonl} or a report needs.
 *
 * @param round the round
 * @param state the state after the round
 * @param sampled the clients sampled, sorted
 * @param accepted the clients whose updates were aggregated, sorted
 * @param failures the clients that did not contribute, with reasons, sorted by id
 * @param metrics round metrics (see {@link Aggregation#metrics()})
 * @param clientMetrics per replying client: its training metrics plus {@code fit_seconds}
 * @param bytesDown bytes sent to clients this round
 * @param bytesUp bytes received from clients this round
 * @param seconds wall time of the round
 */
public record RoundReport(
    int round,
    ServerState state,
    List<String> sampled,
    List<String> accepted,
    List<ClientFailure> failures,
    Map<String, Double> metrics,
    Map<String, Map<String, Double>> clientMetrics,
    long bytesDown,
    long bytesUp,
    double seconds) {

  /** Copies the collections. */
  public RoundReport {
    Objects.requireNonNull(state, "state");
    sampled = List.copyOf(sampled);
    accepted = List.copyOf(accepted);
    failures = List.copyOf(failures);
    metrics = Wire.sortedCopy(metrics, "metric");
    TreeMap<String, Map<String, Double>> cm = new TreeMap<>();
    clientMetrics.forEach((k, v) -> cm.put(k, Wire.sortedCopy(v, "metric")));
    clientMetrics = Collections.unmodifiableSortedMap(cm);
  }

  /** True if the round was skipped (Poisson sampling drew too few clients): nothing ran. */
  public boolean skipped() {
    return metrics.getOrDefault("server.round_skipped", 0.0) > 0;
  }

  /** One line of JSON (without the state); non-finite metrics are written as null. */
  public String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("round", round);
    o.add("sampled", strings(sampled));
    o.add("accepted", strings(accepted));
    o.add("failures", failuresJson(failures));
    o.add("metrics", numbers(metrics));
    o.add("client_metrics", clientMetricsJson(clientMetrics));
    o.addProperty("bytes_down", bytesDown);
    o.addProperty("bytes_up", bytesUp);
    o.addProperty("seconds", seconds);
    return o.toString();
  }

  static JsonArray failuresJson(List<ClientFailure> failures) {
    JsonArray fails = new JsonArray();
    for (ClientFailure f : failures) {
      JsonObject j = new JsonObject();
      j.addProperty("client", f.clientId());
      j.addProperty("kind", f.kind().name().toLowerCase(Locale.ROOT));
      j.addProperty("reason", f.reason());
      fails.add(j);
    }
    return fails;
  }

  static JsonObject clientMetricsJson(Map<String, ? extends Map<String, Double>> metrics) {
    JsonObject cm = new JsonObject();
    metrics.forEach((k, v) -> cm.add(k, numbers(v)));
    return cm;
  }

  static JsonArray strings(List<String> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }

  static JsonObject numbers(Map<String, Double> values) {
    JsonObject o = new JsonObject();
    SortedMap<String, Double> sorted = new TreeMap<>(values);
    sorted.forEach(
        (k, v) -> {
          if (Double.isFinite(v)) {
            o.addProperty(k, v);
          } else {
            o.add(k, JsonNull.INSTANCE);
          }
        });
    return o;
  }
}
