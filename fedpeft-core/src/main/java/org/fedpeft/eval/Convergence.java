package org.fedpeft.eval;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;

/** Rounds to reach a target accuracy, read from a run's metrics.jsonl lines. */
public final class Convergence {

  private Convergence() {}

  /**
   * The first round whose line records a global test accuracy ({@code accuracy}) of at least {@code
   * target}, or null if none does. Only evaluated rounds carry an accuracy, so the answer is a
   * multiple of {@code eval.every} (or the last round, or the last completed round of a run a
   * privacy budget stopped): its resolution is {@code eval.every}.
   *
   * @param metricLines metrics.jsonl lines in order; lines whose {@code event} is neither {@code
   *     round} nor {@code stopped_early} (which holds the evaluation of the last completed round
   *     when that round had none) are skipped
   */
  public static Integer roundsToTarget(List<String> metricLines, double target) {
    return roundsToTarget(metricLines, target, "accuracy");
  }

  /**
   * As {@link #roundsToTarget(List, double)}, on the metric {@code key} of the lines (e.g. {@code
   * client_accuracy_mean} in a run evaluated on the clients' held-out data only).
   */
  public static Integer roundsToTarget(List<String> metricLines, double target, String key) {
    for (String line : metricLines) {
      if (line.isBlank()) {
        continue;
      }
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      JsonElement event = o.get("event");
      if (event == null
          || !("round".equals(event.getAsString())
              || "stopped_early".equals(event.getAsString()))) {
        continue;
      }
      JsonElement acc = o.get(key);
      if (acc == null || !acc.isJsonPrimitive() || !acc.getAsJsonPrimitive().isNumber()) {
        continue;
      }
      if (acc.getAsDouble() >= target) {
        return o.get("round").getAsInt();
      }
    }
    return null;
  }
}
