package org.fedpeft.grpc;

import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.tensor.HostTensor;

/** Tiny deterministic clients for transport tests. */
final class Clients {

  private Clients() {}

  /**
   * Sends every received tensor plus {@code offset * round * (i + 1)} at index i, so the values
   * depend on the instructions, the round and the client; evaluates to {@code loss = sum of w}.
   */
  static ClientApp adder(String id, float offset, long examples) {
    return new ClientApp() {
      @Override
      public ClientUpdate fit(FitInstructions ins) {
        Map<String, HostTensor> out = new TreeMap<>();
        ins.tensors()
            .forEach(
                (name, t) -> {
                  float[] d = t.data().clone();
                  for (int i = 0; i < d.length; i++) {
                    d[i] += offset * ins.round() * (i + 1) / 7f;
                  }
                  out.put(name, new HostTensor(t.shape(), d));
                });
        return new ClientUpdate(
            id, out, examples, Map.of("train_loss", offset / 3.0), Map.of("node", id));
      }

      @Override
      public EvaluateResult evaluate(EvaluateInstructions ins) {
        double sum = 0;
        for (float v : ins.tensors().get("w").data()) {
          sum += v;
        }
        return new EvaluateResult(id, examples, Map.of("loss", sum + offset));
      }
    };
  }

  static HostTensor vec(float... values) {
    return new HostTensor(new long[] {values.length}, values);
  }
}
