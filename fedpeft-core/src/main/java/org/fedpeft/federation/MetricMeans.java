package org.fedpeft.federation;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Example-weighted means of named metrics, each over the clients that reported it. */
final class MetricMeans {

  private final TreeMap<String, double[]> sums = new TreeMap<>();

  void add(Map<String, Double> metrics, double weight) {
    for (Map.Entry<String, Double> e : metrics.entrySet()) {
      double[] s = sums.computeIfAbsent(e.getKey(), k -> new double[2]);
      s[0] += weight * e.getValue();
      s[1] += weight;
    }
  }

  SortedMap<String, Double> means() {
    TreeMap<String, Double> out = new TreeMap<>();
    sums.forEach((k, s) -> out.put(k, s[1] > 0 ? s[0] / s[1] : Double.NaN));
    return Collections.unmodifiableSortedMap(out);
  }
}
