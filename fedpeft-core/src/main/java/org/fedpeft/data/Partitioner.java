package org.fedpeft.data;

import java.util.List;

/**
 * Splits a dataset over federated clients.
 *
 * <p>Implementations: {@link IidPartitioner}, {@link DirichletPartitioner}, {@link
 * NaturalPartitioner}, {@link ShardPartitioner}, {@link LabelPartitioner}; {@link
 * Partitioners#parse(String)} builds one from a spec such as {@code dirichlet:alpha=0.3,min=10}.
 * Every example goes to exactly one client, and the same seed gives the same partition on any
 * machine.
 */
public interface Partitioner {

  /**
   * Partitions {@code data}.
   *
   * @param data the examples to distribute
   * @param numClients the number of clients ({@link NaturalPartitioner} also takes 0: as many as
   *     the data has)
   * @param seed the seed of every random choice
   * @return for each client, the indices of its examples in {@code data}, ascending
   * @throws IllegalArgumentException if the data cannot be partitioned so (too few examples, a
   *     client count that does not match the data)
   */
  List<int[]> partition(Dataset data, int numClients, long seed);

  /**
   * The canonical spec of this partitioner, which {@link Partitioners#parse} turns back into it.
   */
  String spec();
}
