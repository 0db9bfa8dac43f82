package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Pins the Dirichlet partitions of a grid of seeds, alphas, client counts and minimum sizes to
 * hashes computed by the partitioner as it was before attempts that cannot succeed were cut short
 * (they now only advance the seeded stream). Any change to a split that a seed and a configuration
 * produce fails here, naming the row. The default run checks the rows that take well under a second
 * ({@link #FAST}: every alpha with 2, 7 and 40 clients, but alpha 1e-4 with 40, and alphas 1 and 4
 * with 120, among them small alphas whose draws are cut short); the whole grid, about 10 s on an
 * idle machine, is tagged slow.
 */
class DirichletSplitsPinnedTest {

  /** The whole grid: alpha, clients, hash. */
  private static final List<String> PINNED =
      List.of(
          "1.0E-4 2 d8a31b07e7c609e1",
          "1.0E-4 7 fa43276cc70e2bcf",
          "1.0E-4 40 864cb02c2dae5463",
          "1.0E-4 120 d811e22398de2e37",
          "1.0E-4 400 335b7d991e33cfa7",
          "0.05 2 7931ad31a866f555",
          "0.05 7 752cbb83d3357c69",
          "0.05 40 4e755a912f238493",
          "0.05 120 856686a28cd80b77",
          "0.05 400 958e326f4e8eeb",
          "0.3 2 f8e24fa48342795f",
          "0.3 7 aa1f08238e378b85",
          "0.3 40 2c5e604cf9567a33",
          "0.3 120 fb46206ac6bb2e6f",
          "0.3 400 67c5035c4e9a0cd9",
          "1.0 2 ddabc4795c5a60ef",
          "1.0 7 15b9bb99be161761",
          "1.0 40 50365803e64af92b",
          "1.0 120 f9ba1c7745e4de63",
          "1.0 400 315116c41b048ba9",
          "4.0 2 7f63dac2c15dcf51",
          "4.0 7 6ce793c1e9e3b927",
          "4.0 40 482c7960b24673c7",
          "4.0 120 e9234ab23853293",
          "4.0 400 69278e65f18a847d");

  /** The rows of the default run, "alpha clients" as in {@link #PINNED}. */
  private static final Set<String> FAST =
      Set.of(
          "1.0E-4 2",
          "1.0E-4 7",
          "0.05 2",
          "0.05 7",
          "0.05 40",
          "0.3 2",
          "0.3 7",
          "0.3 40",
          "1.0 2",
          "1.0 7",
          "1.0 40",
          "1.0 120",
          "4.0 2",
          "4.0 7",
          "4.0 40",
          "4.0 120");

  /** 25 classes of uneven size, 1,210 examples. */
  private static Dataset manyClasses() {
    int[] sizes = new int[25];
    for (int c = 0; c < sizes.length; c++) {
      sizes[c] = 10 + 6 * c;
    }
    return DatasetTest.synthetic(sizes);
  }

  /** One hash over the partitions of seeds 0-5 and of the automatic and two fixed minimums. */
  private static long rowHash(Dataset d, double alpha, int clients) {
    long h = 17;
    for (int min : new int[] {DirichletPartitioner.AUTO_MIN, 0, 1}) {
      for (long seed = 0; seed < 6; seed++) {
        for (int[] part : new DirichletPartitioner(alpha, min).partition(d, clients, seed)) {
          h = h * 1_000_003L + Arrays.hashCode(part);
        }
        h = h * 31 + 7;
      }
    }
    return h;
  }

  /** The rows of {@link #PINNED} that {@code keep} keeps ("alpha clients"), computed now. */
  private static List<String> rows(Dataset d, Predicate<String> keep) {
    List<String> rows = new ArrayList<>();
    for (double alpha : new double[] {1e-4, 0.05, 0.3, 1.0, 4.0}) {
      for (int clients : new int[] {2, 7, 40, 120, 400}) {
        String row = alpha + " " + clients;
        if (keep.test(row)) {
          rows.add(row + " " + Long.toHexString(rowHash(d, alpha, clients)));
        }
      }
    }
    return rows;
  }

  /** The rows of {@link #PINNED} that {@code keep} keeps. */
  private static List<String> pinned(Predicate<String> keep) {
    return PINNED.stream().filter(r -> keep.test(r.substring(0, r.lastIndexOf(' ')))).toList();
  }

  @Test
  void partitionsOfTheFastRowsAreThoseOfTheFullDraws() {
    assertEquals(FAST.size(), pinned(FAST::contains).size(), "every fast row is pinned");
    assertEquals(pinned(FAST::contains), rows(manyClasses(), FAST::contains));
  }

  @Test
  @Tag("slow")
  void partitionsAreThoseOfTheFullDraws() {
    assertEquals(PINNED, rows(manyClasses(), row -> true));
  }
}
