package org.fedpeft.federation;

import java.util.Map;
import org.fedpeft.io.Safetensors;
import org.fedpeft.tensor.HostTensor;

/**
 * A message between the server and a client in its byte form: safetensors holding the message's
 * tensors and its metadata, whose {@code fedpeft.message} names the message type. The byte count of
 * a round's traffic is the length of this form. Each message type reads its own back ({@code
 * fromBytes}).
 */
public sealed interface WireMessage
    permits FitInstructions, EvaluateInstructions, ClientUpdate, EvaluateResult {

  /** The tensors the message carries, by name (none for some types). */
  Map<String, HostTensor> tensors();

  /** The metadata of the wire form. */
  Map<String, String> wireMetadata();

  /** The wire form. */
  default byte[] toBytes() {
    return Safetensors.serialize(tensors(), wireMetadata());
  }

  /** The length of {@link #toBytes()}, computed without serializing. */
  default long serializedSize() {
    return Safetensors.serializedSize(tensors(), wireMetadata());
  }
}
