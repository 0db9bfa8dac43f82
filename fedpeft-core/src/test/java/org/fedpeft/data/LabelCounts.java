package org.fedpeft.data;

import java.util.LinkedHashMap;
import java.util.Map;

/** What the data tests count of a dataset's labels. */
final class LabelCounts {

  private LabelCounts() {}

  /** Label name to number of examples, in vocabulary order (labels without examples included). */
  static Map<String, Integer> of(Dataset d) {
    int[] h = d.labelHistogram();
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (int i = 0; i < h.length; i++) {
      counts.put(d.labels().get(i), h[i]);
    }
    return counts;
  }
}
