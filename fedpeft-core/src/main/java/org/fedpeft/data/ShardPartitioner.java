package org.fedpeft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fedpeft.random.SeededRandom;

/**
 * Pathological non-IID shards (McMahan et al. 2017): the examples, in random order within each
 * class, are sorted by label and cut into {@code numClients * shardsPerClient} equal shards, which
 * are dealt out at random, {@code shardsPerClient} to each client. When every class holds a whole
 * number of shards (e.g. balanced classes and {@code numClients * shardsPerClient} a multiple of
 * the class count) each client sees at most {@code shardsPerClient} classes; otherwise a shard can
 * straddle a class boundary and bring one more. Spec: {@code shards:K} or {@code shards:k=K}.
 *
 * @param shardsPerClient shards (roughly classes) per client, {@code >= 1}
 */
public record ShardPartitioner(int shardsPerClient) implements Partitioner {

  /** Validates {@code shardsPerClient}. */
  public ShardPartitioner {
    if (shardsPerClient < 1) {
      throw new IllegalArgumentException("shards per client must be >= 1, got " + shardsPerClient);
    }
  }

  @Override
  public List<int[]> partition(Dataset data, int numClients, long seed) {
    int n = data.size();
    int numShards = Math.multiplyExact(numClients, shardsPerClient);
    Partitioners.requireClients(numClients, n, shardsPerClient, spec());
    SeededRandom rng = SeededRandom.derive(seed, "partition/shards");
    int[] perm = rng.permutation(n);
    // Stable bucket sort of the random permutation by label: random order within each class.
    int[] start = new int[data.numLabels() + 1];
    for (int i = 0; i < n; i++) {
      start[data.labelIndex(i) + 1]++;
    }
    for (int c = 0; c < data.numLabels(); c++) {
      start[c + 1] += start[c];
    }
    int[] sorted = new int[n];
    for (int i : perm) {
      sorted[start[data.labelIndex(i)]++] = i;
    }
    int[] shardOrder = rng.permutation(numShards);
    List<int[]> parts = new ArrayList<>(numClients);
    for (int j = 0; j < numClients; j++) {
      int size = 0;
      for (int k = 0; k < shardsPerClient; k++) {
        int s = shardOrder[j * shardsPerClient + k];
        size += shardEnd(s, n, numShards) - shardEnd(s - 1, n, numShards);
      }
      int[] part = new int[size];
      int m = 0;
      for (int k = 0; k < shardsPerClient; k++) {
        int s = shardOrder[j * shardsPerClient + k];
        for (int p = shardEnd(s - 1, n, numShards); p < shardEnd(s, n, numShards); p++) {
          part[m++] = sorted[p];
        }
      }
      Arrays.sort(part);
      parts.add(part);
    }
    return parts;
  }

  private static int shardEnd(int shard, int n, int numShards) {
    return (int) ((long) (shard + 1) * n / numShards);
  }

  @Override
  public String spec() {
    return "shards:" + shardsPerClient;
  }
}
