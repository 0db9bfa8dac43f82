package org.fedpeft.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The metrics of a model on a set of examples: always loss and accuracy, plus whatever a task or
 * method adds (recall@k and MRR for retrieval, for example).
 *
 * @param loss mean cross-entropy
 * @param accuracy fraction classified correctly
 * @param examples number of examples
 * @param extra further metrics by name, in the order they should be reported (copied)
 */
public record Evaluation(double loss, double accuracy, int examples, Map<String, Double> extra) {

  /** Copies the extra metrics and refuses names that collide with accuracy or loss. */
  public Evaluation {
    Objects.requireNonNull(extra, "extra");
    if (extra.containsKey("accuracy") || extra.containsKey("loss")) {
      throw new IllegalArgumentException("extra metrics may not be named accuracy or loss");
    }
    extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
  }

  /** Loss and accuracy only. */
  public Evaluation(double loss, double accuracy, int examples) {
    this(loss, accuracy, examples, Map.of());
  }

  /** A copy with more metrics. */
  public Evaluation withMetrics(Map<String, Double> more) {
    Map<String, Double> m = new LinkedHashMap<>(extra);
    m.putAll(more);
    return new Evaluation(loss, accuracy, examples, m);
  }

  /** Every metric by name: accuracy, loss, then the extra ones. */
  public Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", accuracy);
    m.put("loss", loss);
    m.putAll(extra);
    return Collections.unmodifiableMap(m);
  }
}
