package org.fedpeft.federation;

import java.util.Map;
import java.util.Objects;
import org.fedpeft.tensor.HostTensor;

/**
 * What the server sends one client for one round of training (Flower's {@code FitIns}): the tensors
 * to start from and a string config.
 *
 * <p>The tensors are whatever the strategy decides the client needs: usually the GLOBAL tensors
 * (for FFA-LoRA without the frozen A matrices, for FedEx-LoRA with the accumulated {@code
 * <module>.residual} corrections; see each strategy). The config carries per-client settings such
 * as {@link ConfigKeys#LOCAL_STEPS}, {@link ConfigKeys#LEARNING_RATE} or {@link ConfigKeys#BUDGET}.
 *
 * <p>Wire form ({@link #toBytes()}): safetensors with the tensors under their own names and the
 * metadata {@code fedpeft.message = fit_instructions}, {@code client_id}, {@code round} and {@code
 * config.<key>} per config entry. The downlink byte count of a round is the length of this form.
 *
 * @param clientId the client this is for
 * @param round the round number, at least 1
 * @param tensors the tensors to start from, by name (stored sorted and unmodifiable)
 * @param config settings, string to string (stored sorted and unmodifiable)
 */
public record FitInstructions(
    String clientId, int round, Map<String, HostTensor> tensors, Map<String, String> config)
    implements WireMessage {

  static final String MESSAGE = "fit_instructions";

  /** Validates and copies the maps. */
  public FitInstructions {
    Objects.requireNonNull(clientId, "clientId");
    if (round < 1) {
      throw new IllegalArgumentException("round must be at least 1, got " + round);
    }
    tensors = Wire.sortedCopy(tensors, "tensor");
    config = Wire.sortedCopy(config, "config");
  }

  /** A config value as an int, or {@code fallback}. */
  public int configInt(String key, int fallback) {
    return ConfigKeys.getInt(config, key, fallback);
  }

  /** A config value as a long, or {@code fallback}. */
  public long configLong(String key, long fallback) {
    return ConfigKeys.getLong(config, key, fallback);
  }

  /** A config value as a double, or {@code fallback}. */
  public double configDouble(String key, double fallback) {
    return ConfigKeys.getDouble(config, key, fallback);
  }

  @Override
  public Map<String, String> wireMetadata() {
    return Wire.instructionMetadata(MESSAGE, clientId, round, config);
  }

  /**
   * Parses the wire form.
   *
   * @param bytes what {@link #toBytes()} produced
   * @param source names the origin in error messages
   * @throws IllegalArgumentException if the bytes are not a valid message of this type
   */
  public static FitInstructions fromBytes(byte[] bytes, String source) {
    Wire.Instruction in = Wire.parseInstruction(bytes, source, MESSAGE);
    return new FitInstructions(in.clientId(), in.round(), in.tensors(), in.config());
  }
}
