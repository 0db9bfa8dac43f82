package org.fedpeft.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.HookContext;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.ClientContext;
import org.fedpeft.peft.GradientProbe;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.PrivacyBudget;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.random.Seeds;
import org.fedpeft.retrieval.EmbeddingRetrieval;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.ContrastiveLoss;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.GradientNorms;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;

/**
 * The fedpeft client: one implementation of {@link ClientApp} for every adapter method, used
 * unchanged by the in-process simulation and by a network client process. It takes everything about
 * the run from the instructions ({@link RunSettings} in the config, the GLOBAL tensors, the
 * strategy's per-client config) and holds only its own data, the shared frozen model and its {@link
 * ClientStateStore}.
 *
 * <p>A fit or an evaluation holds the frozen model throughout, checked against the one the server
 * names ({@link ClientModels#hold}: a node set to {@code auto} loads it in the server's precision
 * first). A fit runs the adapter's round lifecycle:
 *
 * <ol>
 *   <li>build the model from the received GLOBAL tensors (refusing any tensor of another role) and
 *       check the FROZEN_SHARED fingerprint;
 *   <li>{@link Adapter#beginRound} with the round, its seed and the per-client config;
 *   <li>restore the LOCAL tensors from the client's state;
 *   <li>{@link Adapter#trainableThisRound} (with a {@link GradientProbe} on the client's data);
 *   <li>train the {@link Adapter#phases} in order, each with its own trainable set and phase name,
 *       with AdamW or, under sample-level DP, DP-SGD (the budget covers every phase's steps);
 *   <li>save the LOCAL tensors and the privacy accountant (also when a phase failed), then reply
 *       with {@link Adapter#uplink} plus the trained head.
 * </ol>
 *
 * <p>A client whose sample-level privacy budget cannot pay for the round declines before building
 * anything ({@link org.fedpeft.federation.ClientDeclinedException}). A round run again starts from
 * the state the previous round left, but with the latest accountant ({@link
 * SampleLevelDp#keepingCharges}): the first attempt's update was sent, so its steps stay charged.
 * Evaluation uses the client's LOCAL tensors too, so personalised methods are evaluated as the
 * client would use them, after {@link Adapter#personalise} (FedDPA's local fine-tune and anchor
 * embeddings; LOCAL tensors it changes are saved).
 *
 * <p>Under the contrastive objective ({@link RunSettings#objective}) the client trains the
 * adapter's tensors on InfoNCE between its queries and their documents ({@link
 * ClientData#documents}), sends no head, and evaluates its held-out queries by MIPS over the
 * documents ({@link EmbeddingRetrieval}).
 */
public final class PeftClient implements ClientApp {

  /**
   * The update metric with the client's sample-level epsilon after the round (its accountant at the
   * run's delta), which the server reports as the client's epsilon.
   */
  public static final String SAMPLE_EPSILON_METRIC = "dp_sample_epsilon";

  /** The noise of this client's DP-SGD in one phase of one round. */
  @FunctionalInterface
  public interface NoiseSource {
    /**
     * @param round the round
     * @param phase the phase's index in the round's procedure (0 for one-phase methods)
     */
    GaussianNoise forPhase(int round, int phase);
  }

  private final ClientData data;
  private final ClientModels models;
  private final ClientStateStore local;
  private final NoiseSource noise;
  private final int threads;

  /**
   * @param data the client's own examples
   * @param models the shared frozen model and the factories built on it
   * @param local where the client keeps its LOCAL state
   * @param noise DP-SGD noise per round (used only when the run asks for sample-level DP)
   * @param threads PyTorch intra-op threads for this client's work
   */
  public PeftClient(
      ClientData data,
      ClientModels models,
      ClientStateStore local,
      NoiseSource noise,
      int threads) {
    this.data = data;
    this.models = models;
    this.local = local;
    this.noise = noise;
    this.threads = threads;
  }

  /** The client's id. */
  public String id() {
    return data.id();
  }

  @Override
  public ClientUpdate fit(FitInstructions in) {
    Engines.gradModeOffOnThisThread();
    Engines.intraOpThreads(threads);
    RunSettings run = RunSettings.fromConfig(in.config());
    try (ClientModels.Hold held = models.hold(run.baseModel(), data.id())) {
      return fit(in, run, held);
    }
  }

  /** {@link #fit(FitInstructions)} with the frozen model held and checked. */
  private ClientUpdate fit(FitInstructions in, RunSettings run, ClientModels.Hold held) {
    long seed = in.configLong(ConfigKeys.SEED, Seeds.derive(0, "fit", in.round()));
    int steps = in.configInt(ConfigKeys.LOCAL_STEPS, run.localSteps());
    double lr = in.configDouble(ConfigKeys.LEARNING_RATE, run.learningRate());
    double mu = in.configDouble(ConfigKeys.PROXIMAL_MU, run.proximalMu());
    ClientState stored = load(in.round() - 1); // the state this round starts from
    SampleLevelDp sampleDp = run.sampleDp() == null ? null : new SampleLevelDp(run.sampleDp());
    if (sampleDp != null) {
      // A round run again starts from the earlier state, but keeps every step charged so far.
      stored = SampleLevelDp.keepingCharges(stored, latest());
    }
    // Declines (ClientDeclinedException) before any model is built or noise drawn; the phases'
    // steps add up to exactly `steps`, so this covers every phase.
    ContrastiveLoss contrastive = contrastiveLoss(run, sampleDp != null);
    PrivacyBudget budget =
        sampleDp == null ? null : sampleDp.admit(stored, data.train().size(), steps);
    Map<String, Double> metrics = new LinkedHashMap<>();
    try (ModelFactory.Instance m = held.factory(run.model()).instantiate(in.tensors())) {
      ClassifierModel model = m.model();
      FrozenShared.check(model, run.frozenSharedSha256(), data.id());
      if (model.head().layout().multiTask()) {
        // A multi-task client trains, and sends, the heads of the tasks it holds.
        model.trainHeadsOf(data.train().distinctTasks());
      }
      Adapter adapter = model.adapter();
      RoundSpec spec = new RoundSpec(in.round(), seed, in.config());
      List<TrainingPhase> phases;
      if (adapter == null) {
        phases = List.of(new TrainingPhase(HookContext.DEFAULT_PHASE, Set.of(), true, 1.0));
      } else {
        adapter.beginRound(spec);
        model.loadState(localTensors(stored, model));
        Set<String> trainable =
            adapter.trainableThisRound(
                spec,
                names -> {
                  if (sampleDp != null) {
                    throw new UnsupportedOperationException(
                        run.model().method()
                            + " probes gradients on the client's data without noise to choose"
                            + " what it trains, which sample-level DP (privacy.mode = \"sample\")"
                            + " does not account for");
                  }
                  return GradientNorms.of(
                      model, data.train(), run.batchSize(), Seeds.derive(seed, "probe"), names);
                });
        phases = adapter.phases(spec, trainable);
      }
      int[] phaseSteps = TrainingPhase.splitSteps(phases, steps);
      Set<String> trained = new LinkedHashSet<>();
      boolean headTrained = false;
      double lossSum = 0;
      int taken = 0;
      try {
        for (int i = 0; i < phases.size(); i++) {
          TrainingPhase phase = phases.get(i);
          model.enterPhase(phase);
          // The first phase uses the round's seed as it is, so a one-phase method trains exactly
          // as a plain trainer would with that seed.
          long phaseSeed = i == 0 ? seed : Seeds.derive(seed, "phase", i);
          TrainConfig tc = localTraining(run, lr, phaseSteps[i], phaseSeed);
          try (AdamW opt = new AdamW(held.base().root())) {
            if (budget == null) {
              LocalTrainer trainer = new LocalTrainer(model);
              trainer.setContrastive(contrastive);
              if (mu > 0) {
                trainer.setProximal((float) mu, m.received());
              }
              lossSum += trainer.train(data.train(), tc, opt, (s, t, l, a, r) -> {});
            } else {
              DpSgd dp = new DpSgd(model, run.sampleDp().dpSgd(), noise.forPhase(in.round(), i));
              taken += dp.train(data.train(), tc, opt, budget, (s, t, l, a, r) -> {});
            }
          }
          trained.addAll(phase.tensors());
          headTrained |= phase.trainHead();
        }
      } finally {
        model.endPhases();
        ClientState next = stored.withTensors(localTensorsOf(model));
        if (budget != null) {
          // Whatever happened, the steps charged so far stay charged.
          next = SampleLevelDp.record(next, budget);
        }
        if (!next.equals(stored)) {
          save(in.round(), next);
        }
      }
      if (budget == null) {
        metrics.put("train_loss", lossSum / phases.size());
      } else {
        metrics.put("dp_sample_steps", (double) taken);
        metrics.put(SAMPLE_EPSILON_METRIC, budget.accountant().getEpsilon(run.sampleDp().delta()));
      }
      if (budget == null
          && ConfigKeys.getBoolean(in.config(), ConfigKeys.REPORT_LABEL_COUNTS, false)) {
        long[] counts = new long[model.head().numLabels()];
        for (int label : data.train().labels()) {
          counts[label]++;
        }
        for (int k = 0; k < counts.length; k++) {
          metrics.put("label_count." + k, (double) counts[k]);
        }
      }
      Map<String, HostTensor> out = new TreeMap<>();
      if (adapter != null) {
        out.putAll(adapter.uplink(trained));
        adapter.roundMetrics().forEach((k, v) -> metrics.put("adapter." + k, v));
      }
      if (headTrained && contrastive == null) {
        model
            .trainableHeadTensors()
            .forEach(t -> out.put(t.name(), Adapter.Tensors.toHost(t.array())));
      }
      return new ClientUpdate(data.id(), out, data.train().size(), metrics, Map.of());
    }
  }

  @Override
  public EvaluateResult evaluate(EvaluateInstructions in) {
    Engines.gradModeOffOnThisThread();
    Engines.intraOpThreads(threads);
    if (data.holdout().size() == 0) {
      throw new IllegalStateException("client " + data.id() + " holds out no data");
    }
    RunSettings run = RunSettings.fromConfig(in.config());
    try (ClientModels.Hold held = models.hold(run.baseModel(), data.id());
        ModelFactory.Instance m = held.factory(run.model()).instantiate(in.tensors())) {
      ClassifierModel model = m.model();
      ClientState stored = load(in.round());
      model.loadState(localTensors(stored, model));
      personalise(model, run, in, stored, held);
      LocalTrainer trainer = new LocalTrainer(model);
      Evaluation ev =
          run.objective().contrastive()
              ? EmbeddingRetrieval.evaluate(
                  model,
                  requireDocuments(),
                  data.holdout(),
                  run.objective().temperature(),
                  LocalTrainer.EVAL_BATCH_SIZE)
              : trainer.evaluate(data.holdout(), LocalTrainer.EVAL_BATCH_SIZE);
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("accuracy", ev.accuracy());
      metrics.put("loss", ev.loss());
      if (data.everyTask() != null && model.head().layout().multiTask()) {
        metrics.putAll(
            personalization(
                trainer.evaluate(data.everyTask(), LocalTrainer.EVAL_BATCH_SIZE),
                model.head().layout().tasks(),
                data.train().distinctTasks()));
      }
      return new EvaluateResult(data.id(), ev.examples(), metrics);
    }
  }

  /** The metric of P, the accuracy on the client's own tasks. */
  public static final String PERSONALIZATION = "personalization";

  /** The metric of TTP, the mean accuracy over every task. */
  public static final String TEST_TIME_PERSONALIZATION = "test_time_personalization";

  /**
   * The prefix of a task's test accuracy in a client's evaluation: {@code test_accuracy.<task>}.
   */
  public static final String TEST_ACCURACY = "test_accuracy.";

  /**
   * P (mean accuracy over the client's own tasks), TTP (mean accuracy over every task) and each
   * task's accuracy, from an evaluation of every task's test examples.
   */
  static Map<String, Double> personalization(Evaluation everyTask, List<String> tasks, int[] own) {
    Map<String, Double> perTask = new LinkedHashMap<>();
    for (String t : tasks) {
      Double a = everyTask.extra().get(LocalTrainer.TASK_ACCURACY + t);
      if (a != null) {
        perTask.put(t, a);
      }
    }
    double p = 0;
    int n = 0;
    for (int k : own) {
      Double a = perTask.get(tasks.get(k));
      if (a != null) {
        p += a;
        n++;
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    if (n > 0) {
      out.put(PERSONALIZATION, p / n);
    }
    out.put(
        TEST_TIME_PERSONALIZATION,
        perTask.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
    perTask.forEach((t, a) -> out.put(TEST_ACCURACY + t, a));
    return out;
  }

  /**
   * Lets the adapter work on this client's own data before the model is used ({@link
   * Adapter#personalise}: FedDPA's fine-tune and anchor embeddings); saves the LOCAL tensors if it
   * changed them. Its training runs with this client's local settings and a seed derived from the
   * instructions' seed, so a resumed run repeats it exactly.
   */
  private void personalise(
      ClassifierModel model,
      RunSettings run,
      EvaluateInstructions in,
      ClientState stored,
      ClientModels.Hold held) {
    Adapter adapter = model.adapter();
    if (adapter == null) {
      return;
    }
    long seed =
        Seeds.derive(
            ConfigKeys.getLong(in.config(), ConfigKeys.SEED, Seeds.derive(0, "fit", in.round())),
            "personalise");
    double lr = ConfigKeys.getDouble(in.config(), ConfigKeys.LEARNING_RATE, run.learningRate());
    ClientContext context =
        new ClientContext() {
          @Override
          public EncodedExamples trainingData() {
            return data.train();
          }

          @Override
          public long seed() {
            return seed;
          }

          @Override
          public int batchSize() {
            return run.batchSize();
          }

          @Override
          public double train(TrainingPhase phase, int steps) {
            if (run.sampleDp() != null) {
              throw new UnsupportedOperationException(
                  run.model().method()
                      + " trains on the client's data outside a round, which sample-level DP"
                      + " (privacy.mode = \"sample\") does not account for");
            }
            TrainConfig tc =
                localTraining(run, lr, steps, Seeds.derive(seed, "train", Seeds.key(phase.name())));
            model.enterPhase(phase);
            try (AdamW opt = new AdamW(held.base().root())) {
              LocalTrainer trainer = new LocalTrainer(model);
              trainer.setContrastive(contrastiveLoss(run, false));
              return trainer.train(data.train(), tc, opt, (s, t, l, a, r) -> {});
            } finally {
              model.endPhases();
            }
          }
        };
    if (adapter.personalise(context)) {
      ClientState next = stored.withTensors(localTensorsOf(model));
      if (!next.equals(stored)) {
        save(in.round(), next);
      }
    }
  }

  /**
   * The contrastive loss over this client's documents when the run trains contrastively, else null.
   *
   * @param sampleDp whether the run asks for sample-level DP-SGD, which the contrastive loss cannot
   *     have
   */
  private ContrastiveLoss contrastiveLoss(RunSettings run, boolean sampleDp) {
    if (!run.objective().contrastive()) {
      return null;
    }
    if (sampleDp) {
      throw new IllegalArgumentException(
          "the contrastive objective cannot train under sample-level DP-SGD: with in-batch"
              + " negatives an example's loss depends on the other examples of its batch");
    }
    return ContrastiveLoss.of(requireDocuments(), run.objective().temperature());
  }

  private EncodedExamples requireDocuments() {
    if (data.documents() == null) {
      throw new IllegalStateException(
          "client "
              + data.id()
              + " holds no retrieval corpus, which the contrastive objective trains and"
              + " evaluates against");
    }
    return data.documents();
  }

  /** The stored LOCAL tensors that this model has (a new client has none: they keep their init). */
  private static Map<String, HostTensor> localTensors(ClientState stored, ClassifierModel model) {
    Map<String, HostTensor> out = new TreeMap<>();
    for (AdapterTensor t : model.tensors()) {
      HostTensor v = stored.tensors().get(t.name());
      if (t.role() == Role.LOCAL && v != null) {
        out.put(t.name(), v);
      }
    }
    return out;
  }

  private static Map<String, HostTensor> localTensorsOf(ClassifierModel model) {
    Map<String, HostTensor> out = new TreeMap<>();
    for (AdapterTensor t : model.tensors()) {
      if (t.role() == Role.LOCAL) {
        out.put(t.name(), Adapter.Tensors.toHost(t.array()));
      }
    }
    return out;
  }

  /** The state as round {@code round} left it. */
  private ClientState load(int round) {
    try {
      return local.loadAsOf(data.id(), round).orElse(ClientState.EMPTY);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last state stored, whichever round saved it. */
  private ClientState latest() {
    try {
      return local.load(data.id()).orElse(ClientState.EMPTY);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Saves what round {@code round} leaves. */
  private void save(int round, ClientState s) {
    try {
      local.save(data.id(), round, s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The local training of a round or of a method's training outside one: {@code steps} steps of the
   * run's batch size at learning rate {@code lr} (the head's rate from the run's), constant, no
   * warm-up, with the run's weight decay and gradient clipping, batches and dropout from {@code
   * seed}.
   */
  private static TrainConfig localTraining(RunSettings run, double lr, int steps, long seed) {
    return new TrainConfig(
        steps,
        run.batchSize(),
        (float) lr,
        (float) run.weightDecay(),
        0,
        TrainConfig.Schedule.CONSTANT,
        (float) run.maxGradNorm(),
        seed,
        (float) run.headLearningRate(lr));
  }
}
