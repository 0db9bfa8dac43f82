package org.fedpeft.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ClientSamplerTest {

  private static final List<String> POPULATION =
      IntStream.range(0, 20).mapToObj(i -> String.format("client-%02d", i)).toList();

  @Test
  void sameSeedAndRoundGiveTheSameSampleEverywhere() {
    List<String> a = new ClientSampler(42, 3).sample(POPULATION, 7);
    List<String> b = new ClientSampler(42, 3).sample(POPULATION, 7);
    assertEquals(a, b);
    // pinned: the algorithm is fully specified (SplitMix64, FNV-1a), so this never changes;
    // the value was cross-checked with an independent Python implementation of the same algorithm
    assertEquals(List.of("client-00", "client-14", "client-18"), a);
  }

  @Test
  void aRoundsSampleIsIndependentOfHistoryAndOfPopulationOrder() {
    ClientSampler warm = new ClientSampler(42, 3);
    for (int r = 1; r < 7; r++) {
      warm.sample(POPULATION, r);
    }
    List<String> shuffled = new ArrayList<>(POPULATION);
    Collections.shuffle(shuffled, new Random(3));
    assertEquals(new ClientSampler(42, 3).sample(POPULATION, 7), warm.sample(shuffled, 7));
  }

  @Test
  void samplesAreSortedDistinctAndVaryWithRoundAndSeed() {
    ClientSampler s = new ClientSampler(42, 5);
    HashSet<List<String>> seen = new HashSet<>();
    for (int r = 1; r <= 20; r++) {
      List<String> c = s.sample(POPULATION, r);
      assertEquals(5, c.size());
      assertEquals(5, new HashSet<>(c).size());
      List<String> sorted = new ArrayList<>(c);
      Collections.sort(sorted);
      assertEquals(sorted, c);
      seen.add(c);
    }
    assertTrue(seen.size() > 15, "rounds should differ: " + seen.size());
    assertNotEquals(s.sample(POPULATION, 1), new ClientSampler(43, 5).sample(POPULATION, 1));
  }

  @Test
  void kAtLeastNTakesEveryone() {
    assertEquals(POPULATION, new ClientSampler(1, 50).sample(POPULATION, 1));
  }

  @Test
  void everyClientIsChosenAboutEquallyOften() {
    ClientSampler s = new ClientSampler(2024, 3);
    List<String> pop = POPULATION.subList(0, 10);
    Map<String, Integer> counts = new HashMap<>();
    int rounds = 4000;
    for (int r = 1; r <= rounds; r++) {
      for (String c : s.sample(pop, r)) {
        counts.merge(c, 1, Integer::sum);
      }
    }
    // each client: Binomial(4000, 0.3), mean 1200, sd ~29; allow 5 sd
    for (String c : pop) {
      int n = counts.getOrDefault(c, 0);
      assertTrue(Math.abs(n - 1200) < 145, c + " chosen " + n + " times");
    }
  }

  @Test
  void badInputIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ClientSampler(1, 0));
    assertThrows(
        IllegalArgumentException.class, () -> new ClientSampler(1, 2).sample(List.of("a", "a"), 1));
    assertThrows(
        IllegalArgumentException.class, () -> new ClientSampler(1, 2).sample(POPULATION, 0));
  }

  @Test
  void poissonSamplingIsKeyedOnSeedAndRoundOnly() {
    ClientSampler p = ClientSampler.poisson(42, 4);
    assertTrue(p.isPoisson());
    assertEquals(0.2, p.sampleRate(20));
    List<String> shuffled = new ArrayList<>(POPULATION);
    Collections.shuffle(shuffled, new Random(9));
    for (int r = 1; r <= 30; r++) {
      List<String> a = p.sample(POPULATION, r);
      assertEquals(a, ClientSampler.poisson(42, 4).sample(shuffled, r), "round " + r);
      List<String> sorted = new ArrayList<>(a);
      Collections.sort(sorted);
      assertEquals(sorted, a);
    }
    // The fixed sampler's stream is not reused: a different purpose key.
    assertNotEquals(
        IntStream.rangeClosed(1, 10).mapToObj(r -> p.sample(POPULATION, r)).toList(),
        IntStream.rangeClosed(1, 10)
            .mapToObj(r -> ClientSampler.poisson(43, 4).sample(POPULATION, r))
            .toList());
  }

  @Test
  void poissonSamplingMatchesItsRateIndependentlyPerClient() {
    // 20 clients, q = 4 / 20 = 0.2, 20000 rounds. Each client's count is Binomial(20000, 0.2):
    // sd = sqrt(20000 * 0.2 * 0.8) = 56.6; 5 sd = 283. The round size is Binomial(20, 0.2): mean
    // 4, and P(empty) = 0.8^20 = 0.01153 (sd over 20000 rounds: 0.00075; 5 sd = 0.0038).
    ClientSampler p = ClientSampler.poisson(7, 4);
    int rounds = 20_000;
    Map<String, Integer> count = new HashMap<>();
    int empty = 0;
    long total = 0;
    int pairs = 0;
    for (int r = 1; r <= rounds; r++) {
      List<String> s = p.sample(POPULATION, r);
      s.forEach(id -> count.merge(id, 1, Integer::sum));
      empty += s.isEmpty() ? 1 : 0;
      total += s.size();
      if (s.contains("client-00") && s.contains("client-01")) {
        pairs++;
      }
    }
    for (String id : POPULATION) {
      assertEquals(4000, count.get(id), 283, id);
    }
    assertEquals(Math.pow(0.8, 20), empty / (double) rounds, 0.0038);
    assertEquals(4.0, total / (double) rounds, 5 * Math.sqrt(20 * 0.2 * 0.8 / rounds));
    // Independence: P(both) = 0.04; sd over 20000 rounds = 0.0014; 5 sd = 0.007.
    assertEquals(0.04, pairs / (double) rounds, 0.007);
    // q = 1 when the expected count reaches the population.
    assertEquals(POPULATION, ClientSampler.poisson(1, 20).sample(POPULATION, 3));
    assertEquals(List.of(), ClientSampler.poisson(1, 3).sample(List.of(), 3));
  }
}
