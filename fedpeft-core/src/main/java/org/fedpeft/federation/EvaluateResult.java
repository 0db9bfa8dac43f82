package org.fedpeft.federation;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFile;
import org.fedpeft.tensor.HostTensor;

/**
 * A client's answer to {@link EvaluateInstructions} (Flower's {@code EvaluateRes}): metrics such as
 * {@code loss} and {@code accuracy} over {@code numExamples} of its own examples. Wire form:
 * safetensors with no tensors and the metadata {@code fedpeft.message = evaluate_result}, {@code
 * client_id}, {@code num_examples} and {@code metric.<name>}.
 *
 * @param clientId the client that evaluated
 * @param numExamples how many examples the metrics cover (the weight of its metrics)
 * @param metrics metric values by name
 */
public record EvaluateResult(String clientId, long numExamples, Map<String, Double> metrics)
    implements WireMessage {

  static final String MESSAGE = "evaluate_result";

  /** Validates and copies the map. */
  public EvaluateResult {
    Objects.requireNonNull(clientId, "clientId");
    metrics = Wire.sortedCopy(metrics == null ? Map.of() : metrics, "metric");
  }

  /** None: an evaluate result carries metrics only. */
  @Override
  public Map<String, HostTensor> tensors() {
    return Map.of();
  }

  @Override
  public Map<String, String> wireMetadata() {
    Map<String, String> meta = new TreeMap<>();
    meta.put(Wire.KIND, MESSAGE);
    meta.put("client_id", clientId);
    meta.put("num_examples", Long.toString(numExamples));
    Wire.putPrefixed(meta, "metric.", Wire.doublesToText(metrics));
    return meta;
  }

  /**
   * Parses the wire form.
   *
   * @throws IllegalArgumentException if the bytes are not a valid message of this type
   */
  public static EvaluateResult fromBytes(byte[] bytes, String source) {
    SafetensorsFile f = Safetensors.deserialize(bytes, source);
    Wire.checkKind(f, MESSAGE);
    if (f.size() != 0) {
      throw new IllegalArgumentException(source + ": an evaluate result carries no tensors");
    }
    return new EvaluateResult(
        Wire.require(f, "client_id"),
        Wire.parseLong(Wire.require(f, "num_examples"), "num_examples", source),
        Wire.textToDoubles(Wire.withPrefix(f.metadata(), "metric."), source));
  }
}
