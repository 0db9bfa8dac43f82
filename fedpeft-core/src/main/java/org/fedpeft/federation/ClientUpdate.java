package org.fedpeft.federation;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFile;
import org.fedpeft.tensor.HostTensor;

/**
 * What one client sends back after local training (Flower's {@code FitRes}).
 *
 * <p>{@code tensors} holds only GLOBAL tensors, and only those the client trained this round (what
 * the adapter's {@code uplink} returns, plus the head); LOCAL, ROUND and FROZEN_SHARED tensors
 * never appear. The server averages each tensor over the clients that sent it. The values are the
 * client's trained tensors (not differences); the server forms pseudo-gradients itself (see {@link
 * ServerOptimizer}).
 *
 * <p>The record accepts anything (NaN values, unknown names, a non-positive example count) so that
 * a bad update can be represented and then rejected by {@link UpdateValidator} with a reason,
 * instead of failing where it is decoded.
 *
 * <p>Wire form ({@link #toBytes()}): safetensors with the tensors under their own names and the
 * metadata {@code fedpeft.message = client_update}, {@code client_id}, {@code num_examples}, {@code
 * metric.<name>} (as {@link Double#toString}) and {@code info.<key>}. The uplink byte count of a
 * round is the length of this form: the GLOBAL tensors plus a small header.
 *
 * @param clientId the client that trained
 * @param tensors the GLOBAL tensors it trained and sends, by name (stored sorted, unmodifiable)
 * @param numExamples the number of local training examples (the weight under {@link
 *     Weighting#EXAMPLES}); must be positive to be accepted
 * @param metrics training metrics, e.g. {@code train_loss} (stored sorted, unmodifiable)
 * @param info free-form per-client facts, e.g. which heads or blocks it trained and why
 */
public record ClientUpdate(
    String clientId,
    Map<String, HostTensor> tensors,
    long numExamples,
    Map<String, Double> metrics,
    Map<String, String> info)
    implements WireMessage {

  static final String MESSAGE = "client_update";

  /** Copies the maps; null metrics or info mean empty. */
  public ClientUpdate {
    Objects.requireNonNull(clientId, "clientId");
    tensors = Wire.sortedCopy(tensors, "tensor");
    metrics = Wire.sortedCopy(metrics == null ? Map.of() : metrics, "metric");
    info = Wire.sortedCopy(info == null ? Map.of() : info, "info");
  }

  /** An update without metrics or info. */
  public ClientUpdate(String clientId, Map<String, HostTensor> tensors, long numExamples) {
    this(clientId, tensors, numExamples, Map.of(), Map.of());
  }

  @Override
  public Map<String, String> wireMetadata() {
    Map<String, String> meta = new TreeMap<>();
    meta.put(Wire.KIND, MESSAGE);
    meta.put("client_id", clientId);
    meta.put("num_examples", Long.toString(numExamples));
    Wire.putPrefixed(meta, "metric.", Wire.doublesToText(metrics));
    Wire.putPrefixed(meta, "info.", info);
    return meta;
  }

  /**
   * Parses the wire form. Values are not validated here (see {@link UpdateValidator}); only the
   * format is.
   *
   * @param bytes what {@link #toBytes()} produced
   * @param source names the origin in error messages, e.g. {@code "update from client 7"}
   * @throws IllegalArgumentException if the bytes are not a well-formed update
   */
  public static ClientUpdate fromBytes(byte[] bytes, String source) {
    SafetensorsFile f = Safetensors.deserialize(bytes, source);
    Wire.checkKind(f, MESSAGE);
    return new ClientUpdate(
        Wire.require(f, "client_id"),
        Wire.f32Tensors(f),
        Wire.parseLong(Wire.require(f, "num_examples"), "num_examples", source),
        Wire.textToDoubles(Wire.withPrefix(f.metadata(), "metric."), source),
        Wire.withPrefix(f.metadata(), "info."));
  }
}
