package org.fedpeft.io;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedpeft.tensor.HostTensor;

/**
 * A PEFT adapter as data: its config and its tensors under their saved names.
 *
 * @param config the adapter_config.json content
 * @param tensors the adapter_model.safetensors content by saved name (see {@link
 *     org.fedpeft.peft.PeftNames}), copied into an unmodifiable map sorted by name
 */
public record PeftAdapter(PeftAdapterConfig config, Map<String, HostTensor> tensors) {

  /** Copies the tensor map (not the tensors) into name order. */
  public PeftAdapter {
    Objects.requireNonNull(config, "config");
    tensors =
        Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(tensors, "tensors")));
  }
}
