package org.fedpeft.run;

import java.util.Locale;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;

/**
 * Each client's compute budget b_c in (0, 1]: the share of a method's trainable structure it trains
 * in a round (Ravan's heads, FedBE's blocks). Set by {@code client.budgets}:
 *
 * <ul>
 *   <li>empty: every client 1;
 *   <li>fractions, comma-separated: one per client in population order, or one for all;
 *   <li>{@code uniform}, {@code bell} or {@code skewed}: each client draws from {1/4, 1/2, 3/4, 1}
 *       with probabilities (1/4, 1/4, 1/4, 1/4), (0.1, 0.4, 0.4, 0.1) or (0.4, 0.3, 0.2, 0.1), from
 *       a generator seeded by (run seed, "budgets", client index).
 * </ul>
 */
public final class Budgets {

  private static final double[] LEVELS = {0.25, 0.5, 0.75, 1.0};

  private Budgets() {}

  /** Whether {@code spec} is a valid {@code client.budgets} value (the count is checked later). */
  public static boolean isValid(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.isEmpty() || s.equals("uniform") || s.equals("bell") || s.equals("skewed")) {
      return true;
    }
    try {
      parse(s, s.split(",").length, 0);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Whether the spec sets any budget (is not empty). */
  public static boolean configured(String spec) {
    return !spec.isBlank();
  }

  /**
   * The budget of every client.
   *
   * @param spec the {@code client.budgets} value
   * @param clients the population size
   * @param seed the run seed
   * @throws IllegalArgumentException naming what is wrong
   */
  public static double[] parse(String spec, int clients, long seed) {
    double[] b = new double[clients];
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.isEmpty()) {
      java.util.Arrays.fill(b, 1.0);
      return b;
    }
    double[] p =
        switch (s) {
          case "uniform" -> new double[] {0.25, 0.25, 0.25, 0.25};
          case "bell" -> new double[] {0.1, 0.4, 0.4, 0.1};
          case "skewed" -> new double[] {0.4, 0.3, 0.2, 0.1};
          default -> null;
        };
    if (p != null) {
      for (int c = 0; c < clients; c++) {
        double u = new SeededRandom(Seeds.derive(seed, "budgets", c)).nextDouble();
        int level = 0;
        double acc = p[0];
        while (u >= acc && level < LEVELS.length - 1) {
          level++;
          acc += p[level];
        }
        b[c] = LEVELS[level];
      }
      return b;
    }
    String[] parts = s.split(",");
    if (parts.length != 1 && parts.length != clients) {
      throw new IllegalArgumentException(
          "client.budgets lists "
              + parts.length
              + " budgets for "
              + clients
              + " clients (give one per client, or one for all)");
    }
    for (int c = 0; c < clients; c++) {
      String v = parts[parts.length == 1 ? 0 : c].trim();
      double x;
      try {
        x = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "client.budgets: \"" + v + "\" is not a number, uniform, bell or skewed", e);
      }
      if (!(x > 0 && x <= 1)) {
        throw new IllegalArgumentException("client.budgets: " + v + " is not in (0, 1]");
      }
      b[c] = x;
    }
    return b;
  }
}
