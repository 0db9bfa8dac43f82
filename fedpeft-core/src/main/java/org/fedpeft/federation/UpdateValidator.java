package org.fedpeft.federation;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import org.fedpeft.tensor.HostTensor;

/**
 * The checks every client update passes before it is aggregated. A failing update excludes its
 * client from the round with the reason (a {@link ClientFailure} of kind {@code REJECTED}); it
 * never reaches the aggregate, so one broken or malicious client cannot poison the model with NaN,
 * crash the server with a wrong shape, or smuggle in a tensor the strategy does not aggregate (a
 * LOCAL tensor sent by mistake, FFA-LoRA's frozen A).
 *
 * <p>Checks, in order: the example count is positive; the update carries at least one tensor; every
 * tensor name is one the strategy accepts this round; every shape matches; every value is finite.
 * The first failure is reported.
 */
public final class UpdateValidator {

  private UpdateValidator() {}

  /**
   * @param update the update
   * @param accepted the tensors the strategy accepts, name to shape
   * @return the reason to reject the update, or empty if it is valid
   */
  public static Optional<String> check(ClientUpdate update, Map<String, long[]> accepted) {
    if (update.numExamples() <= 0) {
      return Optional.of(
          "reported " + update.numExamples() + " training examples; at least 1 is required");
    }
    if (update.tensors().isEmpty()) {
      return Optional.of("sent no tensors");
    }
    for (Map.Entry<String, HostTensor> e : update.tensors().entrySet()) {
      String name = e.getKey();
      HostTensor t = e.getValue();
      long[] shape = accepted.get(name);
      if (shape == null) {
        return Optional.of("sent tensor '" + name + "', which is not accepted " + sample(accepted));
      }
      if (!Arrays.equals(shape, t.shape())) {
        return Optional.of(
            "tensor '"
                + name
                + "' has shape "
                + Wire.shape(t.shape())
                + ", expected "
                + Wire.shape(shape));
      }
      float[] d = t.data();
      for (int i = 0; i < d.length; i++) {
        if (!Float.isFinite(d[i])) {
          return Optional.of("tensor '" + name + "' has " + d[i] + " at index " + i);
        }
      }
    }
    return Optional.empty();
  }

  private static String sample(Map<String, long[]> accepted) {
    if (accepted.isEmpty()) {
      return "(this round accepts no tensors)";
    }
    StringBuilder b = new StringBuilder("(accepted: ");
    Iterator<String> it = accepted.keySet().iterator();
    for (int i = 0; i < 3 && it.hasNext(); i++) {
      b.append(i > 0 ? ", " : "").append('\'').append(it.next()).append('\'');
    }
    if (accepted.size() > 3) {
      b.append(" and ").append(accepted.size() - 3).append(" more");
    }
    return b.append(')').toString();
  }
}
