package org.fedpeft.privacy;

import java.util.Locale;
import org.fedpeft.federation.ClientDeclinedException;
import org.fedpeft.federation.ClientState;
import org.fedpeft.io.Words;

/**
 * Sample-level DP-SGD at a federated client: what a client does around {@link DpSgd} each round.
 * The client's {@link RdpAccountant} is LOCAL state, kept in its {@link ClientState} under {@link
 * #ACCOUNTANT_KEY}; it composes every DP-SGD step the client has taken in any round, each a
 * Poisson-subsampled Gaussian step with q = min(1, L / n) (L the expected batch size, n the
 * client's own number of training examples) and noise multiplier sigma. The epsilon it reports
 * therefore protects that client's own examples (add/remove one example) over everything the client
 * has released.
 *
 * <p>A round: {@link #admit} restores the accountant and checks that the round's steps all fit the
 * budget; if they do not, it throws {@link ClientDeclinedException} ("privacy budget spent") before
 * anything is trained or any noise drawn, so the client takes no part in the round. Else {@link
 * DpSgd#train} runs the steps, charging the budget before each step's noise, and {@link #record}
 * gives the state to store.
 *
 * <p>Not protected by this epsilon (stated in the simulation's summary): the number of training
 * examples a client reports for weighting, and its evaluation results on its held-out examples.
 */
public final class SampleLevelDp {

  /** The {@link ClientState} value holding the accountant (JSON). */
  public static final String ACCOUNTANT_KEY = "privacy.sample.accountant";

  /**
   * @param dpSgd clip norm, noise multiplier and expected batch size of every step
   * @param epsilonBudget a round that would take the client's epsilon above this is declined; 0: no
   *     budget
   * @param delta the delta of the budget and of reported epsilons, in (0, 1)
   */
  public record Config(DpSgd.Config dpSgd, double epsilonBudget, double delta) {
    /** Validates, naming the field. */
    public Config {
      if (dpSgd == null) {
        throw new IllegalArgumentException("dpSgd config is null");
      }
      if (!(epsilonBudget >= 0)) {
        throw new IllegalArgumentException("epsilon budget must be >= 0, got " + epsilonBudget);
      }
      RdpAccountant.checkDelta(delta);
    }

    /** How the reported epsilon treats sampling, for summaries and manifests. */
    public String samplingNote() {
      return "Poisson-sampled batches within each client (q = min(1, "
          + dpSgd.expectedBatchSize()
          + " / n) for a client with n training examples); each client's epsilon protects its"
          + " own examples";
    }
  }

  private final Config config;

  public SampleLevelDp(Config config) {
    this.config = config;
  }

  public Config config() {
    return config;
  }

  /** A client's accountant as stored in its state (a fresh one if it has none). */
  public static RdpAccountant accountant(ClientState state) {
    return state.value(ACCOUNTANT_KEY).map(RdpAccountant::fromJson).orElseGet(RdpAccountant::new);
  }

  /** The epsilon a client's state records, at {@code delta} (0 if it never trained). */
  public static double epsilon(ClientState state, double delta) {
    return accountant(state).getEpsilon(delta);
  }

  /**
   * Restores a client's accountant and checks that {@code steps} more steps on its {@code n}
   * examples stay within the budget.
   *
   * @return the budget over the restored accountant, for {@link DpSgd#train}
   * @throws ClientDeclinedException "privacy budget spent: ..." if they would not (nothing is
   *     charged, nothing drawn)
   */
  public PrivacyBudget admit(ClientState state, int n, int steps) {
    RdpAccountant acc = accountant(state);
    double budget = config.epsilonBudget() == 0 ? Double.POSITIVE_INFINITY : config.epsilonBudget();
    PrivacyBudget b = new PrivacyBudget(budget, config.delta(), acc);
    double q = config.dpSgd().sampleRate(n);
    double sigma = config.dpSgd().noiseMultiplier();
    if (!b.canCharge(q, sigma, steps)) {
      throw new ClientDeclinedException(
          String.format(
              Locale.ROOT,
              "privacy budget spent: epsilon %.4f, and %d more %s at q = %.6g, sigma = %s"
                  + " would bring it to %s, above the budget %s (delta %s)",
              acc.getEpsilon(config.delta()),
              steps,
              Words.plural(steps, "step"),
              q,
              sigma,
              PrivacySpent.epsilonBeside(
                  acc.epsilonIfStep(q, sigma, steps, config.delta()), config.epsilonBudget()),
              config.epsilonBudget(),
              config.delta()));
    }
    return b;
  }

  /**
   * The state a round starts from, {@code asOf} (the state as the previous round left it), with the
   * accountant of {@code latest} (the client's last stored state) when that holds one: a round run
   * again (a server resumed from its checkpoint after this client had fitted and sent the round, or
   * after the round failed) restarts from the earlier tensors, but the first attempt's update was
   * released, so its steps stay charged. Privacy spent is never rolled back.
   */
  public static ClientState keepingCharges(ClientState asOf, ClientState latest) {
    return latest
        .value(ACCOUNTANT_KEY)
        .map(acc -> asOf.withValue(ACCOUNTANT_KEY, acc))
        .orElse(asOf);
  }

  /** The state to store after training: {@code state} with the budget's accountant. */
  public static ClientState record(ClientState state, PrivacyBudget budget) {
    return state.withValue(ACCOUNTANT_KEY, budget.accountant().toJson());
  }
}
