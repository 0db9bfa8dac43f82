package org.fedpeft.simulation;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;

/**
 * The summary of a run without a test split, evaluated on the clients' held-out data only
 * (federated evaluation): a server whose clients hold the training data without {@code data.test},
 * or {@code data.split = "none"} without {@code data.test}. Its results come from the last
 * evaluated round's metrics line and are named for what they are, so that no reader takes them for
 * a test accuracy: {@code evaluation} is {@code "federated"}, and there is no {@code
 * final_accuracy}.
 */
final class FederatedSummary {

  /** The metric whose target {@code eval.target_accuracy} is, in a federated evaluation. */
  static final String ACCURACY_MEAN = "client_accuracy_mean";

  /** What {@code evaluation_note} says. */
  static final String NOTE =
      "no test split on the server: each evaluated client evaluates the global model (with its"
          + " LOCAL tensors, if any) on its own held-out examples (data.client_holdout); the"
          + " accuracy and loss are the means over the clients' examples";

  private FederatedSummary() {}

  /**
   * Adds {@code evaluation}, {@code evaluation_note}, {@code final_eval_round} (0 when no round was
   * evaluated), {@code final_client_accuracy_mean}, {@code final_client_loss_mean}, {@code
   * final_client_accuracy} (per client) and {@code eval_examples} of the last evaluated round.
   */
  static void add(JsonObject summary, List<String> metricLines) {
    summary.addProperty("evaluation", "federated");
    summary.addProperty("evaluation_note", NOTE);
    JsonObject last = null;
    for (String line : metricLines) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (o.has(ACCURACY_MEAN)) {
        last = o;
      }
    }
    summary.addProperty("final_eval_round", last == null ? 0 : last.get("round").getAsInt());
    summary.addProperty("final_client_accuracy_mean", number(last, ACCURACY_MEAN));
    summary.addProperty("final_client_loss_mean", number(last, "client_loss_mean"));
    summary.add(
        "final_client_accuracy",
        last != null && last.has("client_accuracy")
            ? last.get("client_accuracy")
            : new JsonObject());
    summary.addProperty(
        "eval_examples",
        last != null && last.has("eval_examples") ? last.get("eval_examples").getAsLong() : 0);
  }

  private static double number(JsonObject line, String key) {
    if (line == null) {
      return Double.NaN;
    }
    JsonElement v = line.get(key);
    return v == null || !v.isJsonPrimitive() ? Double.NaN : v.getAsDouble();
  }
}
