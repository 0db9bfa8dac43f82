package org.fedpeft.simulation;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.engine.Engines;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.ConfigKeys;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Scope;
import org.fedpeft.random.Seeds;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;

/**
 * A client of the in-process simulation. Its adapter, head and optimiser exist only while it trains
 * or evaluates: they are built on the shared frozen model from the received tensors and closed
 * afterwards, so a thousand clients cost only their data.
 */
final class SimulatedClient implements ClientApp {

  private final ClientData data;
  private final ModelFactory models;
  private final SimulationConfig config;

  SimulatedClient(ClientData data, ModelFactory models, SimulationConfig config) {
    this.data = data;
    this.models = models;
    this.config = config;
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
    try (ModelFactory.Instance m = models.instantiate(in.tensors());
        AdamW opt = new AdamW(models.base().root())) {
      LocalTrainer trainer = new LocalTrainer(m.model(), models.base().engine());
      if (mu > 0) {
        trainer.setProximal((float) mu, m.received());
      }
      double loss = trainer.train(data.train(), tc, opt, (s, t, l, a, r) -> {});
      Map<String, HostTensor> out = new TreeMap<>();
      Map<String, HostTensor> state = m.model().state();
      for (AdapterTensor t : m.model().tensors()) {
        if (t.trainable() && t.scope() == Scope.GLOBAL) {
          out.put(t.name(), state.get(t.name()));
        }
      }
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("train_loss", loss);
      return new ClientUpdate(data.id(), out, data.train().size(), metrics, Map.of());
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
      Evaluation ev =
          new LocalTrainer(m.model(), models.base().engine()).evaluate(data.holdout(), 64);
      return new EvaluateResult(
          data.id(), ev.examples(), Map.of("accuracy", ev.accuracy(), "loss", ev.loss()));
    }
  }
}
