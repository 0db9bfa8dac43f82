package org.fedpeft.federation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.tensor.LowRank;

/**
 * FlexLoRA (Bai et al. 2024, "Federated Fine-tuning of Large Language Models under Heterogeneous
 * Tasks and Client Resources", NeurIPS 2024, arXiv 2402.11505): clients train LoRA of their own
 * rank r_c; the server averages the clients' full products and sends each client the truncated SVD
 * of that average at the client's rank. Ranks, truncation and the checks are {@link
 * HeterogeneousLora}'s.
 *
 * <p><b>Aggregation</b> per LoRA module, over the clients c that sent it, with weights w_c from
 * {@code server.weighting} (examples by default, as in the paper):
 *
 * <pre>
 *   P = sum_c w_c B_c A_c / sum_c w_c           (out x in, never formed densely)
 *   P = sum_j s_j u_j v_j^T                      (SVD, s_1 >= s_2 >= ...; {@link LowRank#svdOfSum})
 *   B[:, j] = s_j u_j,  A[j, :] = v_j^T          for j &lt; r_max
 * </pre>
 *
 * <p>The products need no scaling: every client uses alpha / r_max. The global factors hold the
 * best rank-r_max approximation of P, components in decreasing order of singular value, so the
 * first r_c components that a client of rank r_c computes with are exactly the truncated SVD of P
 * at rank r_c: each client is sent those r_c components for training ({@link
 * HeterogeneousLora#fitDownlink}), FlexLoRA's truncated SVD at the client's rank. The singular
 * values go into B and A has orthonormal rows (fedpeft's choice of split; the product does not
 * depend on it). A component with no singular direction (P has rank below r_max, or s_j = 0) gets
 * B[:, j] = 0 and keeps its previous row of A, so it adds nothing and can still be trained.
 * Components beyond r_max are dropped: no client can compute with them.
 *
 * <p>Needs plain FedAvg with server learning rate 1 (the SVD basis changes every round, so a server
 * optimiser's moments over factor entries would mean nothing). Round metrics: {@code
 * strategy.flexlora.rank.<client>} and {@code strategy.flexlora.energy_kept}, the share of {@code
 * ||P||_F^2} summed over modules that the rank-r_max factors keep.
 */
public final class FlexLora extends HeterogeneousLora {

  /** The registry and state name. */
  public static final String NAME = "flexlora";

  /**
   * @param maxRank r_max, the adapter's LoRA rank
   * @param options shared settings: a {@link WeightedMean} aggregator, plain FedAvg at server
   *     learning rate 1
   */
  public FlexLora(int maxRank, StrategyOptions options) {
    super(NAME, maxRank, options, new Rule());
    if (!options.serverOptimizer().isIdentity()) {
      throw new IllegalArgumentException(
          NAME
              + ": needs plain FedAvg at server learning rate 1 (the global factors are a new SVD"
              + " basis every round), got "
              + options.serverOptimizer().describe());
    }
  }

  /** The truncated SVD of one module's weighted product mean. */
  private static final class Rule implements ModuleRule {

    @Override
    public HostTensor[] combine(
        HostTensor previousA, HostTensor previousB, List<Sent> senders, Map<String, Double> tally) {
      int r = (int) previousA.shape()[0];
      int in = (int) previousA.shape()[1];
      int out = (int) previousB.shape()[0];
      double total = 0;
      for (Sent s : senders) {
        total += s.weight();
      }
      List<LowRank.Term> terms = new ArrayList<>();
      for (Sent s : senders) {
        int k = s.rank();
        float[] bk = new float[out * k];
        for (int o = 0; o < out; o++) {
          System.arraycopy(s.b(), o * r, bk, o * k, k);
        }
        float[] ak = java.util.Arrays.copyOf(s.a(), k * in);
        terms.add(new LowRank.Term(s.weight() / total, bk, ak, k));
      }
      LowRank.Svd svd = LowRank.svdOfSum(terms, out, in);
      float[] a = new float[r * in];
      float[] b = new float[out * r];
      double kept = 0;
      for (int j = 0; j < r; j++) {
        boolean direction = j < svd.size() && svd.values()[j] > 0;
        if (!direction) {
          System.arraycopy(previousA.data(), j * in, a, j * in, in);
          continue;
        }
        double sj = svd.values()[j];
        kept += sj * sj;
        double[] u = svd.left()[j];
        double[] v = svd.right()[j];
        for (int c = 0; c < in; c++) {
          a[j * in + c] = (float) v[c];
        }
        for (int o = 0; o < out; o++) {
          b[o * r + j] = (float) (sj * u[o]);
        }
      }
      tally.merge("kept", kept, Double::sum);
      tally.merge("energy", svd.energy(), Double::sum);
      return new HostTensor[] {
        new HostTensor(previousA.shape().clone(), a), new HostTensor(previousB.shape().clone(), b)
      };
    }

    @Override
    public void report(RoundContext context, Map<String, Double> tally) {
      double energy = tally.getOrDefault("energy", 0.0);
      context.putMetric(
          "strategy." + NAME + ".energy_kept",
          energy > 0 ? tally.getOrDefault("kept", 0.0) / energy : 1.0);
    }
  }
}
