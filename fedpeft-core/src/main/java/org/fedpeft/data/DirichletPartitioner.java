package org.fedpeft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedpeft.random.SeededRandom;

/**
 * Label-skewed non-IID partition: for each class, the clients' shares are drawn from a symmetric
 * Dirichlet(alpha) (alpha = 0.3 in the Ravan paper; smaller is more skewed) and the class's
 * examples, shuffled, are cut by those shares.
 *
 * <p>As in the common NIID-Bench implementation, a client that already holds {@code n / numClients}
 * examples gets no share of the classes that follow, which keeps client sizes from running away.
 * Every client must end with at least {@code minSize} examples: the whole draw is repeated (up to
 * {@value #MAX_ATTEMPTS} times, each attempt continuing the seeded stream); if no attempt succeeds,
 * the last one is repaired by moving random examples from the largest client to the smallest until
 * all have {@code minSize}. An attempt whose clients already lack more examples than the classes
 * still to come hold is not finished: it only advances the seeded stream as its remaining draws
 * would, which gives the same partitions at a fraction of the cost with thousands of clients. Gamma
 * draws use Marsaglia-Tsang on the seeded generator, so the result is the same on any machine.
 *
 * <p>Spec: {@code dirichlet:0.3}, {@code dirichlet:alpha=0.3,min=10}. Without {@code min}, the
 * minimum is {@code min(10, n / numClients)}.
 *
 * @param alpha the Dirichlet concentration, positive
 * @param minSize the minimum examples per client, or {@link #AUTO_MIN} for {@code min(10, n /
 *     numClients)}
 */
public record DirichletPartitioner(double alpha, int minSize) implements Partitioner {
  /** Use {@code min(10, n / numClients)} as the minimum client size. */
  public static final int AUTO_MIN = -1;

  /** How many complete draws are tried before the last one is repaired. */
  public static final int MAX_ATTEMPTS = 100;

  /** Validates alpha and the minimum size. */
  public DirichletPartitioner {
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException(
          "dirichlet alpha must be positive and finite, got " + alpha);
    }
    if (minSize < 0 && minSize != AUTO_MIN) {
      throw new IllegalArgumentException("dirichlet min must be >= 0, got " + minSize);
    }
  }

  /** A partitioner with the automatic minimum client size. */
  public static DirichletPartitioner of(double alpha) {
    return new DirichletPartitioner(alpha, AUTO_MIN);
  }

  /** The minimum client size used for {@code n} examples over {@code numClients} clients. */
  public int effectiveMinSize(int n, int numClients) {
    return minSize == AUTO_MIN ? Math.min(10, n / Math.max(1, numClients)) : minSize;
  }

  @Override
  public List<int[]> partition(Dataset data, int numClients, long seed) {
    int n = data.size();
    Partitioners.requireClients(numClients, n, 1, spec());
    int min = effectiveMinSize(n, numClients);
    if ((long) min * numClients > n) {
      throw new IllegalArgumentException(
          "dirichlet: "
              + numClients
              + " clients of at least "
              + min
              + " examples need "
              + (long) min * numClients
              + ", but "
              + data.name()
              + " has "
              + n);
    }
    SeededRandom rng = SeededRandom.derive(seed, "partition/dirichlet");
    List<List<Integer>> byClass = Splits.indicesByClass(data);
    for (int attempt = 0; attempt < MAX_ATTEMPTS - 1; attempt++) {
      IntList[] clients = draw(byClass, numClients, n, min, rng);
      if (clients != null && smallest(clients) >= min) {
        return finish(clients);
      }
    }
    IntList[] clients = draw(byClass, numClients, n, 0, rng);
    if (smallest(clients) < min) {
      repair(clients, min, rng);
    }
    return finish(clients);
  }

  /**
   * One draw: each class shuffled and cut by Dirichlet shares. Once the clients' total shortfall
   * below {@code min} exceeds the examples of the classes still to come, the draw cannot end with
   * every client at {@code min}: the rest of it then only advances {@code rng} exactly as the full
   * draw would (so later attempts draw the same numbers) and the result is {@code null}. With
   * {@code min = 0} the draw always completes.
   */
  private IntList[] draw(List<List<Integer>> byClass, int k, int n, int min, SeededRandom rng) {
    IntList[] clients = new IntList[k];
    for (int j = 0; j < k; j++) {
      clients[j] = new IntList();
    }
    long remaining = n;
    boolean doomed = false;
    for (List<Integer> members : byClass) {
      int nc = members.size();
      if (nc == 0) {
        continue;
      }
      remaining -= nc;
      if (doomed) {
        rng.skipShuffle(nc);
        rng.skipDirichlet(alpha, k);
        continue;
      }
      int[] idx = Splits.toArray(members);
      rng.shuffle(idx);
      double[] p = rng.nextDirichlet(alpha, k);
      double[] masked = p.clone();
      double sum = 0;
      for (int j = 0; j < k; j++) {
        if ((long) clients[j].size * k >= n) {
          masked[j] = 0;
        }
        sum += masked[j];
      }
      if (sum > 0) {
        for (int j = 0; j < k; j++) {
          p[j] = masked[j] / sum;
        }
      }
      double cumulative = 0;
      int from = 0;
      for (int j = 0; j < k; j++) {
        cumulative += p[j];
        int to = j == k - 1 ? nc : Math.min(nc, (int) Math.floor(cumulative * nc));
        for (int m = from; m < to; m++) {
          clients[j].add(idx[m]);
        }
        from = Math.max(from, to);
      }
      doomed = remaining > 0 && shortfall(clients, min) > remaining;
    }
    return doomed ? null : clients;
  }

  /** The examples the clients lack to reach {@code min} each. */
  private static long shortfall(IntList[] clients, int min) {
    long missing = 0;
    for (IntList c : clients) {
      missing += Math.max(0, min - c.size);
    }
    return missing;
  }

  private static int smallest(IntList[] clients) {
    int min = Integer.MAX_VALUE;
    for (IntList c : clients) {
      min = Math.min(min, c.size);
    }
    return min;
  }

  /** Moves random examples from the largest client to the smallest until all reach {@code min}. */
  private static void repair(IntList[] clients, int min, SeededRandom rng) {
    while (true) {
      int small = 0;
      int large = 0;
      for (int j = 1; j < clients.length; j++) {
        if (clients[j].size < clients[small].size) {
          small = j;
        }
        if (clients[j].size > clients[large].size) {
          large = j;
        }
      }
      if (clients[small].size >= min) {
        return;
      }
      clients[small].add(clients[large].removeAt(rng.nextInt(clients[large].size)));
    }
  }

  private static List<int[]> finish(IntList[] clients) {
    List<int[]> parts = new ArrayList<>(clients.length);
    for (IntList c : clients) {
      int[] a = Arrays.copyOf(c.values, c.size);
      Arrays.sort(a);
      parts.add(a);
    }
    return parts;
  }

  @Override
  public String spec() {
    return "dirichlet:alpha=" + alpha + (minSize == AUTO_MIN ? "" : ",min=" + minSize);
  }

  /** A growable int array; removal swaps in the last element. */
  private static final class IntList {
    int[] values = new int[16];
    int size;

    void add(int v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int removeAt(int i) {
      int v = values[i];
      values[i] = values[--size];
      return v;
    }
  }
}
