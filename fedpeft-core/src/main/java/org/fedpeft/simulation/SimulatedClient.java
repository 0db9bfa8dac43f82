package org.fedpeft.simulation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.engine.Engines;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.ConfigKeys;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Scope;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.PrivacyBudget;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.random.Seeds;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;

/**
 * A client of the in-process simulation. Its adapter, head and optimiser exist only while it trains
 * or evaluates: they are built on the shared frozen model from the received tensors and closed
 * afterwards, so a thousand clients cost only their data. What a client keeps between rounds (its
 * sample-level privacy accountant; later FedDPA's LOCAL adapter) lives in the simulation's {@link
 * ClientStateStore}, which the simulation checkpoints.
 *
 * <p>With sample-level DP ({@code privacy.mode = "sample"}) a round is: restore the accountant,
 * decline (before building anything or drawing any noise) if the round's steps would exceed the
 * budget, otherwise train with {@link DpSgd} and store the charged accountant. Its update then
 * carries no training loss (that is computed from the raw examples and not privatised), only the
 * client's epsilon so far, a function of public parameters.
 */
final class SimulatedClient implements ClientApp {

  /** The noise of one client's DP-SGD in one round. */
  @FunctionalInterface
  interface NoiseSource {
    GaussianNoise forClient(int round, int clientIndex);
  }

  private final ClientData data;
  private final ModelFactory models;
  private final SimulationConfig config;
  private final ClientStateStore local;
  private final SampleLevelDp sampleDp;
  private final NoiseSource noise;

  /**
   * @param data the client's examples
   * @param models builds its model on the shared frozen base
   * @param config the run's config
   * @param local the store of every client's LOCAL state
   * @param sampleDp sample-level DP settings, or null for none
   * @param noise DP-SGD noise per (round, client); unused without sample-level DP
   */
  SimulatedClient(
      ClientData data,
      ModelFactory models,
      SimulationConfig config,
      ClientStateStore local,
      SampleLevelDp sampleDp,
      NoiseSource noise) {
    this.data = data;
    this.models = models;
    this.config = config;
    this.local = local;
    this.sampleDp = sampleDp;
    this.noise = noise;
  }

  @Override
  public ClientUpdate fit(FitInstructions in) {
    Engines.gradModeOffOnThisThread();
    Engines.intraOpThreads(config.threadsPerClient());
    long seed = Seeds.derive(config.seed(), "fit", in.round(), data.index());
    int steps = in.configInt(ConfigKeys.LOCAL_STEPS, config.localSteps());
    double lr = in.configDouble(ConfigKeys.LEARNING_RATE, config.learningRate());
    double mu = in.configDouble(ConfigKeys.PROXIMAL_MU, config.proximalMu());
    TrainConfig tc =
        new TrainConfig(
            steps,
            config.batchSize(),
            (float) lr,
            (float) config.weightDecay(),
            0,
            TrainConfig.Schedule.CONSTANT,
            (float) config.maxGradNorm(),
            seed);
    ClientState stored;
    PrivacyBudget budget = null;
    try {
      stored = local.load(data.id()).orElse(ClientState.EMPTY);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (sampleDp != null) {
      // Declines (ClientDeclinedException) before anything is built or drawn.
      budget = sampleDp.admit(stored, data.train().size(), steps);
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    try (ModelFactory.Instance m = models.instantiate(in.tensors());
        AdamW opt = new AdamW(models.base().root())) {
      if (budget == null) {
        LocalTrainer trainer = new LocalTrainer(m.model());
        if (mu > 0) {
          trainer.setProximal((float) mu, m.received());
        }
        metrics.put("train_loss", trainer.train(data.train(), tc, opt, (s, t, l, a, r) -> {}));
      } else {
        DpSgd dp =
            new DpSgd(
                m.model(), sampleDp.config().dpSgd(), noise.forClient(in.round(), data.index()));
        int taken;
        try {
          taken = dp.train(data.train(), tc, opt, budget, (s, t, l, a, r) -> {});
        } finally {
          // Whatever happened, the steps charged so far stay charged.
          save(SampleLevelDp.record(stored, budget));
        }
        metrics.put("dp_sample_steps", (double) taken);
        metrics.put("dp_sample_epsilon", budget.accountant().getEpsilon(sampleDp.config().delta()));
      }
      Map<String, HostTensor> out = new TreeMap<>();
      Map<String, HostTensor> state = m.model().state();
      for (AdapterTensor t : m.model().tensors()) {
        if (t.trainable() && t.scope() == Scope.GLOBAL) {
          out.put(t.name(), state.get(t.name()));
        }
      }
      return new ClientUpdate(data.id(), out, data.train().size(), metrics, Map.of());
    }
  }

  private void save(ClientState s) {
    try {
      local.save(data.id(), s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public EvaluateResult evaluate(EvaluateInstructions in) {
    Engines.gradModeOffOnThisThread();
    Engines.intraOpThreads(config.threadsPerClient());
    if (data.holdout().size() == 0) {
      throw new IllegalStateException("client " + data.id() + " holds out no data");
    }
    try (ModelFactory.Instance m = models.instantiate(in.tensors())) {
      Evaluation ev = new LocalTrainer(m.model()).evaluate(data.holdout(), 64);
      return new EvaluateResult(
          data.id(), ev.examples(), Map.of("accuracy", ev.accuracy(), "loss", ev.loss()));
    }
  }
}
