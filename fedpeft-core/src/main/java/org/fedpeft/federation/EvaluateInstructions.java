package org.fedpeft.federation;

import java.util.Map;
import java.util.Objects;
import org.fedpeft.tensor.HostTensor;

/**
 * What the server sends one client to evaluate the current global model on its own data (Flower's
 * {@code EvaluateIns}). Same wire layout as {@link FitInstructions}, with {@code fedpeft.message =
 * evaluate_instructions}.
 *
 * @param clientId the client this is for
 * @param round the number of completed rounds of the state being evaluated (0 = initial model)
 * @param tensors the tensors to evaluate with, by name
 * @param config settings, string to string
 */
public record EvaluateInstructions(
    String clientId, int round, Map<String, HostTensor> tensors, Map<String, String> config)
    implements WireMessage {

  static final String MESSAGE = "evaluate_instructions";

  /** Validates and copies the maps. */
  public EvaluateInstructions {
    Objects.requireNonNull(clientId, "clientId");
    if (round < 0) {
      throw new IllegalArgumentException("round must be at least 0, got " + round);
    }
    tensors = Wire.sortedCopy(tensors, "tensor");
    config = Wire.sortedCopy(config, "config");
  }

  @Override
  public Map<String, String> wireMetadata() {
    return Wire.instructionMetadata(MESSAGE, clientId, round, config);
  }

  /**
   * Parses the wire form.
   *
   * @throws IllegalArgumentException if the bytes are not a valid message of this type
   */
  public static EvaluateInstructions fromBytes(byte[] bytes, String source) {
    Wire.Instruction in = Wire.parseInstruction(bytes, source, MESSAGE);
    return new EvaluateInstructions(in.clientId(), in.round(), in.tensors(), in.config());
  }
}
