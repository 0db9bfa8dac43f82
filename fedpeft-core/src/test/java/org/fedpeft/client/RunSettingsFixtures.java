package org.fedpeft.client;

import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.train.Objective;

/**
 * {@link RunSettings} as tests build them: those of a classification run without a head learning
 * rate or base model, and copies of settings with one of those three changed.
 */
public final class RunSettingsFixtures {

  private RunSettingsFixtures() {}

  /**
   * Settings that train the head's cross-entropy, the head at the adapter's rate, no base model.
   */
  public static RunSettings classification(
      ModelSpec model,
      int localSteps,
      double learningRate,
      int batchSize,
      double weightDecay,
      double maxGradNorm,
      double proximalMu,
      SampleLevelDp.Config sampleDp,
      String frozenSharedSha256) {
    return new RunSettings(
        model,
        localSteps,
        learningRate,
        batchSize,
        weightDecay,
        maxGradNorm,
        proximalMu,
        sampleDp,
        frozenSharedSha256,
        Objective.CLASSIFICATION,
        0,
        "");
  }

  /** A copy of {@code s} whose objective is {@code goal}. */
  public static RunSettings withObjective(RunSettings s, Objective goal) {
    return copy(s, goal, s.headLearningRate(), s.baseModel());
  }

  /** A copy of {@code s} whose head trains at {@code rate} (0: at the adapter's rate). */
  public static RunSettings withHeadLearningRate(RunSettings s, double rate) {
    return copy(s, s.objective(), rate, s.baseModel());
  }

  /** A copy of {@code s} that names the base model {@code identity} ({@link BaseModel#of}). */
  public static RunSettings withBaseModel(RunSettings s, String identity) {
    return copy(s, s.objective(), s.headLearningRate(), identity);
  }

  private static RunSettings copy(
      RunSettings s, Objective objective, double headLearningRate, String baseModel) {
    return new RunSettings(
        s.model(),
        s.localSteps(),
        s.learningRate(),
        s.batchSize(),
        s.weightDecay(),
        s.maxGradNorm(),
        s.proximalMu(),
        s.sampleDp(),
        s.frozenSharedSha256(),
        objective,
        headLearningRate,
        baseModel);
  }
}
