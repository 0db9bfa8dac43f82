package org.fedpeft.federation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedpeft.tensor.HostTensor;

/**
 * The per-tensor weighted mean over the clients that sent the tensor:
 *
 * <pre>
 *   target_k = sum_{c in S_k} w_c x_{c,k} / sum_{c in S_k} w_c
 * </pre>
 *
 * where S_k is the set of accepted clients whose update contains tensor k and w_c is 1 ({@link
 * Weighting#UNIFORM}) or the client's example count ({@link Weighting#EXAMPLES}). A tensor no
 * client sent has no target and keeps its value. This one rule serves FedAvg (McMahan et al. 2017),
 * FedIT (A and B as separate tensors, Zhang et al. 2024, arXiv 2305.05644), FFA-LoRA's B, and any
 * method whose clients each send only the parts they trained (a part's mean is then over the
 * clients that trained it).
 *
 * <p>Sums run in double precision over clients sorted by id; each mean is rounded to float once.
 * Shapes must agree with the current global tensor (updates are validated before they get here; a
 * mismatch is a bug and throws).
 */
public final class WeightedMean implements Aggregator {

  private final Weighting weighting;

  /** A mean with the given weighting. */
  public WeightedMean(Weighting weighting) {
    this.weighting = Objects.requireNonNull(weighting, "weighting");
  }

  /** The weighting. */
  public Weighting weighting() {
    return weighting;
  }

  @Override
  public Map<String, HostTensor> aggregate(RoundContext context) {
    return mean(context.previous().global(), context.updates(), weighting);
  }

  /**
   * The weighted mean of every tensor that at least one update carries.
   *
   * @param reference tensors whose shapes the updates must match (names absent here are accepted
   *     with whatever shape the first sender gives)
   * @param updates the updates, in any order
   * @param weighting uniform or by examples
   * @return the means, sorted by name
   * @throws IllegalArgumentException on a shape mismatch or a non-positive total weight
   */
  public static Map<String, HostTensor> mean(
      Map<String, HostTensor> reference, List<ClientUpdate> updates, Weighting weighting) {
    List<ClientUpdate> sorted = new ArrayList<>(updates);
    sorted.sort(Comparator.comparing(ClientUpdate::clientId));
    TreeMap<String, double[]> sums = new TreeMap<>();
    TreeMap<String, long[]> shapes = new TreeMap<>();
    TreeMap<String, Double> weights = new TreeMap<>();
    for (ClientUpdate u : sorted) {
      double w = weighting.weightOf(u);
      for (Map.Entry<String, HostTensor> e : u.tensors().entrySet()) {
        String name = e.getKey();
        HostTensor t = e.getValue();
        HostTensor ref = reference.get(name);
        long[] expected = ref != null ? ref.shape() : shapes.get(name);
        if (expected != null && !Arrays.equals(expected, t.shape())) {
          throw new IllegalArgumentException(
              "tensor '"
                  + name
                  + "' from client "
                  + u.clientId()
                  + " has shape "
                  + Wire.shape(t.shape())
                  + ", expected "
                  + Wire.shape(expected));
        }
        shapes.putIfAbsent(name, t.shape());
        double[] s = sums.computeIfAbsent(name, k -> new double[t.size()]);
        float[] x = t.data();
        for (int i = 0; i < x.length; i++) {
          s[i] += w * x[i];
        }
        weights.merge(name, w, Double::sum);
      }
    }
    TreeMap<String, HostTensor> out = new TreeMap<>();
    for (Map.Entry<String, double[]> e : sums.entrySet()) {
      double total = weights.get(e.getKey());
      if (!(total > 0)) {
        throw new IllegalArgumentException(
            "tensor '" + e.getKey() + "' has total weight " + total + "; weights must be positive");
      }
      double[] s = e.getValue();
      float[] mean = new float[s.length];
      for (int i = 0; i < s.length; i++) {
        mean[i] = (float) (s[i] / total);
      }
      out.put(e.getKey(), new HostTensor(shapes.get(e.getKey()).clone(), mean));
    }
    return out;
  }
}
