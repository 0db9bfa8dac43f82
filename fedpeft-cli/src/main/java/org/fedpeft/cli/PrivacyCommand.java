package org.fedpeft.cli;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.concurrent.Callable;
import org.fedpeft.privacy.PrivacySpent;
import org.fedpeft.privacy.RdpAccountant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedpeft privacy}: differential-privacy accounting from the command line (RDP of the
 * Poisson-subsampled Gaussian mechanism, {@link RdpAccountant}).
 *
 * <ul>
 *   <li>{@code privacy epsilon --sample-rate Q --noise-multiplier S --steps T --delta D} prints
 *       {@code epsilon: E (order A)};
 *   <li>{@code privacy noise --target-epsilon E --sample-rate Q --steps T --delta D} prints {@code
 *       noise multiplier: S (epsilon E at order A)}.
 * </ul>
 *
 * <p>Numbers are printed with 9 decimals, rounded up (a printed epsilon is never below the computed
 * one, and a printed noise multiplier still reaches the target). An out-of-range value prints one
 * line on stderr and exits 2, whatever the root command's handlers; unparsable values and missing
 * options are picocli parameter errors (exit 2).
 */
@Command(
    name = "privacy",
    mixinStandardHelpOptions = true,
    description = {
      "Differential-privacy accounting: Renyi DP of the Poisson-subsampled Gaussian mechanism"
          + " (DP-SGD steps or DP-FedAvg rounds), converted to (epsilon, delta).",
      "Default Renyi orders: 1.1, 1.2, ..., 10.9, 12, 13, ..., 63."
    },
    subcommands = {PrivacyCommand.EpsilonCommand.class, PrivacyCommand.NoiseCommand.class})
public final class PrivacyCommand {

  /** The options both subcommands share: sampling rate, steps, delta and orders. */
  public static final class Accounting {
    @Option(
        names = "--sample-rate",
        required = true,
        paramLabel = "Q",
        description =
            "Poisson sampling rate per step, in [0, 1]: expected batch size / dataset size"
                + " (DP-FedAvg: clients_per_round / clients under client_sampling = poisson, 1"
                + " under fixed-size sampling).")
    double sampleRate;

    @Option(
        names = "--steps",
        required = true,
        paramLabel = "T",
        description = "Number of steps (or rounds), >= 0.")
    long steps;

    @Option(
        names = "--delta",
        required = true,
        paramLabel = "D",
        description = "Delta of the (epsilon, delta) guarantee, in (0, 1).")
    double delta;

    @Option(
        names = "--orders",
        split = ",",
        paramLabel = "ALPHA",
        description =
            "Renyi orders to minimise over, comma-separated, distinct, each > 1 and <= "
                + RdpAccountant.MAX_ORDER
                + " (default: 1.1, 1.2, ..., 10.9, 12, ..., 63).")
    double[] orders;
  }

  /** Decimals printed for epsilon and noise multipliers. */
  static final int DECIMALS = 9;

  /** {@code privacy epsilon}: the epsilon of a training schedule. */
  @Command(
      name = "epsilon",
      mixinStandardHelpOptions = true,
      description = {
        "Prints the epsilon spent by T steps at sampling rate Q and noise multiplier S, at delta D,"
            + " as 'epsilon: E (order A)'.",
        "For DP-FedAvg (privacy.mode = client), as simulate and server account it: T = rounds,"
            + " and Q = clients_per_round / clients with client_sampling = poisson, but Q = 1 with"
            + " the default fixed-size sampling (no amplification by sampling)."
      })
  public static final class EpsilonCommand implements Callable<Integer> {

    @Mixin Accounting accounting;

    @Spec CommandSpec spec;

    @Option(
        names = "--noise-multiplier",
        required = true,
        paramLabel = "S",
        description = "Noise multiplier sigma >= 0: Gaussian noise std / clipping norm.")
    double noiseMultiplier;

    @Override
    public Integer call() {
      try {
        checkSampleRate(accounting.sampleRate);
        checkNoiseMultiplier(noiseMultiplier);
        checkSteps(accounting.steps);
        checkDelta(accounting.delta);
        PrivacySpent spent =
            RdpAccountant.computeEpsilon(
                accounting.sampleRate,
                noiseMultiplier,
                accounting.steps,
                accounting.delta,
                ordersOrDefault(accounting.orders));
        spec.commandLine().getOut().println(describe(spent));
        return 0;
      } catch (IllegalArgumentException e) {
        return fail(spec, e);
      }
    }
  }

  /** {@code privacy noise}: the smallest noise multiplier for a target epsilon. */
  @Command(
      name = "noise",
      mixinStandardHelpOptions = true,
      description = {
        "Prints the smallest noise multiplier S for which T steps at sampling rate Q stay within"
            + " epsilon E at delta D, as 'noise multiplier: S (epsilon X at order A)', X being"
            + " the epsilon that S gives.",
        "S is found by bisection to 1e-12 relative and printed rounded up, so it reaches the target."
      })
  public static final class NoiseCommand implements Callable<Integer> {

    @Mixin Accounting accounting;

    @Spec CommandSpec spec;

    @Option(
        names = "--target-epsilon",
        required = true,
        paramLabel = "E",
        description = "The epsilon to stay within, > 0.")
    double targetEpsilon;

    @Override
    public Integer call() {
      try {
        if (!(targetEpsilon > 0)) {
          throw new IllegalArgumentException("--target-epsilon must be > 0, got " + targetEpsilon);
        }
        checkSampleRate(accounting.sampleRate);
        checkSteps(accounting.steps);
        checkDelta(accounting.delta);
        double[] alphas = ordersOrDefault(accounting.orders);
        double sigma;
        try {
          sigma =
              RdpAccountant.findNoiseMultiplier(
                  targetEpsilon, accounting.sampleRate, accounting.steps, accounting.delta, alphas);
        } catch (RdpAccountant.UnreachableTargetException e) {
          throw new IllegalArgumentException(
              "--target-epsilon "
                  + targetEpsilon
                  + " is unreachable: "
                  + (Double.isNaN(e.floor())
                      ? "it needs a noise multiplier above 1e12 (raise --target-epsilon)"
                      : "at --delta "
                          + accounting.delta
                          + " no noise multiplier gives epsilon below "
                          + format(e.floor())
                          + " with "
                          + (accounting.orders == null || accounting.orders.length == 0
                              ? "the default orders"
                              : "these --orders")
                          + " (raise --target-epsilon or --delta, or add larger --orders)"),
              e);
        }
        BigDecimal printed = roundUp(sigma);
        PrivacySpent at =
            RdpAccountant.computeEpsilon(
                accounting.sampleRate,
                printed.doubleValue(),
                accounting.steps,
                accounting.delta,
                alphas);
        PrintWriter out = spec.commandLine().getOut();
        if (sigma == 0) {
          out.println(
              "noise multiplier: "
                  + printed.toPlainString()
                  + " (no noise needed: sample rate 0, no steps or an infinite target)");
        } else {
          out.println(
              "noise multiplier: "
                  + printed.toPlainString()
                  + " (epsilon "
                  + format(at.epsilon())
                  + " at order "
                  + at.order()
                  + ")");
        }
        return 0;
      } catch (IllegalArgumentException e) {
        return fail(spec, e);
      }
    }
  }

  /** One line for a spent budget; epsilon is the first number on it. */
  static String describe(PrivacySpent spent) {
    if (spent.isInfinite()) {
      return "epsilon: Infinity (noise multiplier 0: no privacy)";
    }
    if (Double.isNaN(spent.order())) {
      return "epsilon: "
          + format(spent.epsilon())
          + " (nothing released: sample rate 0 or no steps)";
    }
    return "epsilon: " + format(spent.epsilon()) + " (order " + spent.order() + ")";
  }

  /** A finite value with {@link #DECIMALS} decimals, rounded up. */
  static String format(double v) {
    return Double.isFinite(v) ? roundUp(v).toPlainString() : Double.toString(v);
  }

  private static BigDecimal roundUp(double v) {
    return new BigDecimal(v).setScale(DECIMALS, RoundingMode.CEILING);
  }

  /** The --orders given (checked, the message naming the option), else the default orders. */
  private static double[] ordersOrDefault(double[] orders) {
    if (orders == null || orders.length == 0) {
      return RdpAccountant.defaultOrders();
    }
    try {
      return RdpAccountant.checkOrders(orders);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--orders: " + e.getMessage(), e);
    }
  }

  private static int fail(CommandSpec spec, IllegalArgumentException e) {
    String message = String.valueOf(e.getMessage()).replace('\n', ' ');
    spec.commandLine().getErr().println(spec.qualifiedName() + ": " + message);
    return spec.exitCodeOnInvalidInput();
  }

  private static void checkSampleRate(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("--sample-rate must be in [0, 1], got " + q);
    }
  }

  private static void checkNoiseMultiplier(double sigma) {
    if (!(sigma >= 0 && sigma < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException(
          "--noise-multiplier must be finite and >= 0, got " + sigma);
    }
  }

  private static void checkSteps(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("--steps must be >= 0, got " + steps);
    }
  }

  private static void checkDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("--delta must be in (0, 1), got " + delta);
    }
  }
}
