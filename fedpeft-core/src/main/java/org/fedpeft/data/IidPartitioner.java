package org.fedpeft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedpeft.random.SeededRandom;

/**
 * IID: a seeded random permutation cut into {@code numClients} contiguous shards whose sizes differ
 * by at most one. Spec: {@code iid}.
 */
public record IidPartitioner() implements Partitioner {

  @Override
  public List<int[]> partition(Dataset data, int numClients, long seed) {
    int n = data.size();
    Partitioners.requireClients(numClients, n, 1, "iid");
    int[] perm = SeededRandom.derive(seed, "partition/iid").permutation(n);
    List<int[]> parts = new ArrayList<>(numClients);
    for (int j = 0; j < numClients; j++) {
      int from = (int) ((long) j * n / numClients);
      int to = (int) ((long) (j + 1) * n / numClients);
      int[] part = Arrays.copyOfRange(perm, from, to);
      Arrays.sort(part);
      parts.add(part);
    }
    return parts;
  }

  @Override
  public String spec() {
    return "iid";
  }
}
