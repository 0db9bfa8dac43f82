package org.fedpeft.federation;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;

/**
 * Chooses the clients of a round out of N, from a generator keyed on (seed, round) only, as FedJAX
 * does: the sample of round t is the same on any machine, in any JVM, whether or not earlier rounds
 * ran, and whatever order the population is listed in. Two kinds:
 *
 * <ul>
 *   <li>{@linkplain #ClientSampler(long, int) fixed size}: K clients uniformly without replacement.
 *       Sort the population's ids; seed {@link SeededRandom} with {@code Seeds.derive(seed,
 *       "client-sampling", round)}; run the first K steps of a Fisher-Yates shuffle; return the K
 *       chosen ids sorted. If K is at least N, every client is chosen.
 *   <li>{@linkplain #poisson(long, int) Poisson}: each client joins independently with probability
 *       q = min(1, K / N), so K is only the expected count and a round may be empty. Sort the ids;
 *       seed {@link SeededRandom} with {@code Seeds.derive(seed, "client-sampling-poisson",
 *       round)}; draw one uniform per id in that order and keep the ids whose draw is below q. This
 *       is the sampling that the privacy amplification of client-level DP-FedAvg assumes.
 * </ul>
 */
public final class ClientSampler {

  private final long seed;
  private final int clientsPerRound;
  private final boolean poisson;

  /**
   * A fixed-size sampler.
   *
   * @param seed the run's seed
   * @param clientsPerRound K, at least 1
   */
  public ClientSampler(long seed, int clientsPerRound) {
    this(seed, clientsPerRound, false);
  }

  private ClientSampler(long seed, int clientsPerRound, boolean poisson) {
    if (clientsPerRound < 1) {
      throw new IllegalArgumentException(
          "clients per round must be at least 1, got " + clientsPerRound);
    }
    this.seed = seed;
    this.clientsPerRound = clientsPerRound;
    this.poisson = poisson;
  }

  /**
   * A Poisson sampler: each client joins a round independently with probability min(1, K / N).
   *
   * @param seed the run's seed
   * @param expectedPerRound K, the expected number of clients per round, at least 1
   */
  public static ClientSampler poisson(long seed, int expectedPerRound) {
    return new ClientSampler(seed, expectedPerRound, true);
  }

  /** True for Poisson sampling (rounds of random size, possibly empty). */
  public boolean isPoisson() {
    return poisson;
  }

  /** The probability that a given client joins a round, for a population of {@code n}. */
  public double sampleRate(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("population must be at least 1, got " + n);
    }
    return Math.min(1.0, (double) clientsPerRound / n);
  }

  /** The seed. */
  public long seed() {
    return seed;
  }

  /** K (the expected count for Poisson sampling). */
  public int clientsPerRound() {
    return clientsPerRound;
  }

  /**
   * The clients of a round.
   *
   * @param population the available client ids, distinct, in any order
   * @param round the round, at least 1
   * @return distinct ids, sorted: min(K, N) of them for a fixed-size sampler, a random number
   *     (possibly none) for a Poisson sampler
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
    if (poisson) {
      if (ids.length == 0) {
        return List.of();
      }
      double q = sampleRate(ids.length);
      SeededRandom rng = new SeededRandom(Seeds.derive(seed, "client-sampling-poisson", round));
      List<String> chosen = new ArrayList<>();
      for (String id : ids) {
        if (rng.nextDouble() < q) {
          chosen.add(id);
        }
      }
      return List.copyOf(chosen);
    }
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
