package org.fedpeft.federation;

import java.util.Map;
import org.fedpeft.tensor.HostTensor;

/** Checks that initial LoRA tensors come in consistent pairs: A (r x in), B (out x r). */
final class LoraShapes {

  private LoraShapes() {}

  static void check(Map<String, HostTensor> tensors, String strategy) {
    LoraNames.unpaired(tensors.keySet())
        .ifPresent(
            s -> {
              throw new IllegalArgumentException(
                  "server.strategy = "
                      + strategy
                      + " aggregates each module's LoRA A and B together, but the adapter shares "
                      + s
                      + ": an adapter that shares one factor (fedsa-lora shares A only) runs with"
                      + " server.strategy = \"fedavg\"");
            });
    for (String module : LoraNames.modules(tensors.keySet())) {
      long[] a = tensors.get(module + LoraNames.A_SUFFIX).shape();
      long[] b = tensors.get(module + LoraNames.B_SUFFIX).shape();
      if (a.length != 2 || b.length != 2 || a[0] != b[1]) {
        throw new IllegalArgumentException(
            strategy
                + ": LoRA module '"
                + module
                + "' has A "
                + Wire.shape(a)
                + " and B "
                + Wire.shape(b)
                + "; expected A (r x in) and B (out x r)");
      }
    }
  }
}
