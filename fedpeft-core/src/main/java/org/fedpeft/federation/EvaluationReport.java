package org.fedpeft.federation;

import com.google.gson.JsonObject;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one federated evaluation produced.
 *
 * @param round the completed rounds of the evaluated state
 * @param clients the clients asked, in the order given
 * @param metrics the strategy's combination of the results (by default example-weighted means)
 * @param clientMetrics per answering client: its metrics plus {@code num_examples}
 * @param failures the clients that did not answer usably, with reasons
 * @param bytesDown bytes sent to clients
 * @param bytesUp bytes received from clients
 */
public record EvaluationReport(
    int round,
    List<String> clients,
    Map<String, Double> metrics,
    Map<String, Map<String, Double>> clientMetrics,
    List<ClientFailure> failures,
    long bytesDown,
    long bytesUp) {

  /** Copies the collections. */
  public EvaluationReport {
    clients = List.copyOf(clients);
    metrics = Wire.sortedCopy(metrics, "metric");
    TreeMap<String, Map<String, Double>> cm = new TreeMap<>();
    clientMetrics.forEach((k, v) -> cm.put(k, Wire.sortedCopy(v, "metric")));
    clientMetrics = Collections.unmodifiableSortedMap(cm);
    failures = List.copyOf(failures);
  }

  /** One line of JSON; non-finite metrics are written as null. */
  public String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("round", round);
    o.addProperty("phase", "evaluate");
    o.add("clients", RoundReport.strings(clients));
    o.add("metrics", RoundReport.numbers(metrics));
    o.add("client_metrics", RoundReport.clientMetricsJson(clientMetrics));
    o.add("failures", RoundReport.failuresJson(failures));
    o.addProperty("bytes_down", bytesDown);
    o.addProperty("bytes_up", bytesUp);
    return o.toString();
  }
}
