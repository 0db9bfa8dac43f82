package org.fedpeft.run;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.fedpeft.client.PeftClient;
import org.fedpeft.client.RunSettings;
import org.fedpeft.federation.Aggregator;
import org.fedpeft.federation.ClientConfigurer;
import org.fedpeft.federation.ConfigKeys;
import org.fedpeft.federation.ServerOptimizer;
import org.fedpeft.federation.Strategy;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.federation.StrategyProvider;
import org.fedpeft.federation.StrategyRegistry;
import org.fedpeft.federation.WeightedMean;
import org.fedpeft.federation.Weighting;
import org.fedpeft.privacy.ClientLevelDp;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.PrivacySpent;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.random.Seeds;

/**
 * Builds the server side of a run from its config, the same way for the in-process simulation and
 * for a network server: the registered {@link StrategyProvider} named by {@code server.strategy}
 * with its options ({@code server.<strategy>.*}), with the server optimiser, the aggregator (the
 * {@link WeightedMean} by {@code server.weighting}, or client-level DP-FedAvg, {@link
 * ClientLevelDp}, in its place when {@code privacy.mode = "client"}), and the per-client config
 * every instruction carries ({@link RunSettings}, each client's seed for the round and, when set,
 * its budget).
 *
 * <p>It also owns the run's noise: seeded from (seed, purpose, keys) when {@code privacy.noise =
 * "seeded"} (reproducible, not private), else one SecureRandom-backed source.
 */
public final class StrategyFactory {

  private StrategyFactory() {}

  /**
   * The run's server optimiser ({@code server.optimizer} with {@code server.learning_rate} and the
   * settings of its rule), as {@link #create} gives it to the strategy; its {@link
   * ServerOptimizer#describe} is how the commands' start lines name it.
   */
  public static ServerOptimizer serverOptimizer(SimulationConfig c) {
    return switch (c.serverOptimizer()) {
      case "fedavg" -> ServerOptimizer.fedAvg(c.serverLearningRate());
      case "fedavgm" -> ServerOptimizer.fedAvgM(c.serverLearningRate(), c.serverMomentum());
      case "fedadam" ->
          ServerOptimizer.fedAdam(
              c.serverLearningRate(), c.serverBeta1(), c.serverBeta2(), c.serverTau());
      case "fedyogi" ->
          ServerOptimizer.fedYogi(
              c.serverLearningRate(), c.serverBeta1(), c.serverBeta2(), c.serverTau());
      case "fedadagrad" ->
          ServerOptimizer.fedAdagrad(c.serverLearningRate(), c.serverBeta1(), c.serverTau());
      default -> throw new IllegalArgumentException("server.optimizer: " + c.serverOptimizer());
    };
  }

  /**
   * The run's strategy.
   *
   * @param c the run's config
   * @param settings what every client is told about the run
   * @param clientIndex each client's position in the population (its seeds derive from it)
   * @param budgets each client's compute budget by id, sent as config {@link ConfigKeys#BUDGET};
   *     empty when {@code client.budgets} is not set (then nothing is sent)
   */
  public static Strategy create(
      SimulationConfig c,
      RunSettings settings,
      Map<String, Integer> clientIndex,
      Map<String, Double> budgets) {
    ServerOptimizer opt = serverOptimizer(c);
    Weighting w = c.weighting().equals("uniform") ? Weighting.UNIFORM : Weighting.EXAMPLES;
    Aggregator aggregator = new WeightedMean(w);
    if (c.privacyMode().equals("client")) {
      aggregator = new ClientLevelDp(dpConfig(c), clientLevelNoise(c));
    }
    Map<String, Integer> index = Map.copyOf(clientIndex);
    Map<String, Double> budget = Map.copyOf(budgets);
    long seed = c.seed();
    ClientConfigurer perClient =
        ClientConfigurer.fixed(settings.toConfig())
            .andThen(
                (state, round, id) -> {
                  Integer i = index.get(id);
                  if (i == null) {
                    throw new IllegalArgumentException("unknown client " + id);
                  }
                  String fitSeed = Long.toString(Seeds.derive(seed, "fit", round, i));
                  Double b = budget.get(id);
                  return b == null
                      ? Map.of(ConfigKeys.SEED, fitSeed)
                      : Map.of(ConfigKeys.SEED, fitSeed, ConfigKeys.BUDGET, Double.toString(b));
                });
    StrategyOptions so =
        StrategyOptions.defaults()
            .withMinClients(c.minClients())
            .withAggregator(aggregator)
            .withServerOptimizer(opt)
            .withClientConfig(perClient);
    String method = c.adapterMethod().equals("none") ? null : c.adapterMethod();
    return StrategyRegistry.get(c.strategy())
        .create(
            new StrategyProvider.Context(
                so, method, effectiveAdapterOptions(c), c.server().strategyOptions()));
  }

  /** The adapter options, with FFA-LoRA's frozen A made explicit. */
  public static Map<String, String> effectiveAdapterOptions(SimulationConfig c) {
    return effectiveAdapterOptions(c.strategy(), c.adapterMethod(), c.adapterOptions());
  }

  /**
   * The adapter options set, with those that {@code strategy} implies made explicit: FFA-LoRA's
   * frozen A ({@code train_a = false}) for LoRA.
   */
  public static Map<String, String> effectiveAdapterOptions(
      String strategy, String adapterMethod, Map<String, String> adapterOptions) {
    Map<String, String> o = new TreeMap<>(adapterOptions);
    // Only LoRA has train_a; any other method is refused by the strategy itself (requireLora),
    // with a message about the method rather than about an option the user never set.
    if (strategy.equals("ffa-lora") && adapterMethod.equals("lora")) {
      o.putIfAbsent("train_a", "false");
    }
    return o;
  }

  /** Client-level DP settings; q = m / N only with Poisson client sampling (else q = 1). */
  public static ClientLevelDp.Config dpConfig(SimulationConfig c) {
    return new ClientLevelDp.Config(
        c.dpClipNorm(),
        c.dpNoiseMultiplier(),
        c.clientsPerRound(),
        c.clients(),
        c.privacyDelta(),
        c.privacyEpsilon(),
        c.dpAdaptive(),
        c.dpTargetQuantile(),
        c.dpClipLearningRate(),
        c.dpCountNoise(),
        c.poissonSampling());
  }

  /** Sample-level DP settings (expected batch size client.batch_size), or null without them. */
  public static SampleLevelDp.Config sampleDpConfig(SimulationConfig c) {
    if (!c.privacyMode().equals("sample")) {
      return null;
    }
    return new SampleLevelDp.Config(
        new DpSgd.Config(c.sampleClipNorm(), c.sampleNoiseMultiplier(), c.batchSize()),
        c.privacyEpsilon(),
        c.privacyDelta());
  }

  /** Noise for one release, keyed so that a seeded run (and its resume) draws the same values. */
  @FunctionalInterface
  private interface KeyedNoise {
    GaussianNoise forKeys(long... keys);
  }

  private static KeyedNoise noise(SimulationConfig c, String purpose) {
    if (c.privacyNoise().equals("seeded")) {
      return keys -> GaussianNoise.seededForTestsOnly(Seeds.derive(c.seed(), purpose, keys));
    }
    GaussianNoise secure = GaussianNoise.secure();
    return keys -> secure;
  }

  /**
   * The DP-SGD noise of the client at {@code clientIndex}: per (round, client) for the first phase
   * of a round, per (round, client, phase) for later phases.
   */
  public static PeftClient.NoiseSource sampleNoise(SimulationConfig c, int clientIndex) {
    KeyedNoise n = noise(c, "dp-sgd-noise");
    return (round, phase) ->
        phase == 0 ? n.forKeys(round, clientIndex) : n.forKeys(round, clientIndex, phase);
  }

  /** Client-level DP noise per round. */
  static IntFunction<GaussianNoise> clientLevelNoise(SimulationConfig c) {
    KeyedNoise n = noise(c, "dp-noise");
    return round -> n.forKeys(round);
  }

  /** True if the run's releases are differentially private (secure noise, positive noise). */
  public static boolean isPrivate(SimulationConfig c) {
    return switch (c.privacyMode()) {
      case "client" -> c.privacyNoise().equals("secure") && c.dpNoiseMultiplier() > 0;
      case "sample" -> c.privacyNoise().equals("secure") && c.sampleNoiseMultiplier() > 0;
      default -> false;
    };
  }

  /**
   * Which analysis the reported epsilon uses (summary.json's {@code epsilon_sampling}, and the end
   * of manifest.json's {@code privacy_note}): the client sampling the accountant assumes under
   * client-level DP, the batch sampling under sample-level DP. When the mode's noise multiplier is
   * 0 ({@link org.fedpeft.privacy.PrivacySection#noiseless}) no epsilon is computed, as none is
   * finite: the note then says so ({@link PrivacySpent#noNoiseNote}, summary.json's {@code
   * epsilon_note}) and nothing about sampling.
   */
  public static String privacyNote(SimulationConfig c) {
    if (c.privacy().noiseless()) {
      return PrivacySpent.noNoiseNote(
          "privacy." + c.privacyMode() + ".noise_multiplier = 0",
          c.privacyMode().equals("client") ? "the update" : "the gradients");
    }
    return switch (c.privacyMode()) {
      case "client" ->
          dpConfig(c).samplingNote()
              + (c.poissonSampling()
                  ? "; every round releases a noisy update and is charged, however many clients"
                      + " it draws (none included), as the analysis assumes"
                  : "");
      case "sample" -> sampleDpConfig(c).samplingNote();
      default -> "no differential privacy in this run";
    };
  }
}
