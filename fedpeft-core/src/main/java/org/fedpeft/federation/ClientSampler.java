package org.fedpeft.federation;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;

/**
 * Chooses the K clients of a round out of N, uniformly without replacement, from a generator keyed
 * on (seed, round) only, as FedJAX does: the sample of round t is the same on any machine, in any
 * JVM, whether or not earlier rounds ran, and whatever order the population is listed in.
 *
 * <p>Algorithm: sort the population's ids; seed {@link SeededRandom} with {@code Seeds.derive(seed,
 * "client-sampling", round)}; run the first K steps of a Fisher-Yates shuffle; return the K chosen
 * ids sorted. If K is at least N, every client is chosen.
 */
public final class ClientSampler {

  private final long seed;
  private final int clientsPerRound;

  /**
   * @param seed the run's seed
   * @param clientsPerRound K, at least 1
   */
  public ClientSampler(long seed, int clientsPerRound) {
    if (clientsPerRound < 1) {
      throw new IllegalArgumentException(
          "clients per round must be at least 1, got " + clientsPerRound);
    }
    this.seed = seed;
    this.clientsPerRound = clientsPerRound;
  }

  /** The seed. */
  public long seed() {
    return seed;
  }

  /** K. */
  public int clientsPerRound() {
    return clientsPerRound;
  }

  /**
   * The clients of a round.
   *
   * @param population the available client ids, distinct, in any order
   * @param round the round, at least 1
   * @return min(K, N) distinct ids, sorted
   */
  public List<String> sample(Collection<String> population, int round) {
    if (round < 1) {
      throw new IllegalArgumentException("round must be at least 1, got " + round);
    }
    TreeSet<String> sortedIds = new TreeSet<>();
    for (String id : population) {
      if (id == null) {
        throw new IllegalArgumentException("the population contains a null client id");
      }
      if (!sortedIds.add(id)) {
        throw new IllegalArgumentException("client '" + id + "' appears twice in the population");
      }
    }
    String[] ids = sortedIds.toArray(new String[0]);
    int k = Math.min(clientsPerRound, ids.length);
    SeededRandom rng = new SeededRandom(Seeds.derive(seed, "client-sampling", round));
    for (int i = 0; i < k; i++) {
      int j = i + (int) rng.nextLong(ids.length - i);
      String t = ids[i];
      ids[i] = ids[j];
      ids[j] = t;
    }
    List<String> chosen = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      chosen.add(ids[i]);
    }
    chosen.sort(null);
    return List.copyOf(chosen);
  }
}
