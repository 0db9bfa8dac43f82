package org.fedpeft.train;

/**
 * Settings of local training.
 *
 * @param steps optimiser steps to take, at least 1
 * @param batchSize examples per step, at least 1
 * @param learningRate peak learning rate, positive
 * @param weightDecay decoupled (AdamW) weight decay, not applied to biases, at least 0
 * @param warmupSteps steps of linear warm-up to the peak, at least 0: 0-based step {@code s <
 *     warmupSteps} runs at {@code (s + 1) / (warmupSteps + 1)} of it, step {@code warmupSteps} at
 *     the peak
 * @param schedule decay after warm-up
 * @param maxGradNorm clip the global gradient L2 norm to this; 0 disables clipping
 * @param seed seed of batch order and dropout
 * @param headLearningRate peak learning rate of the classification head's tensors, positive; it
 *     follows the same warm-up and decay ({@link #headLearningRateAt}). The constructor without it
 *     gives the head {@code learningRate}.
 */
public record TrainConfig(
    int steps,
    int batchSize,
    float learningRate,
    float weightDecay,
    int warmupSteps,
    Schedule schedule,
    float maxGradNorm,
    long seed,
    float headLearningRate) {

  /** Learning-rate decay after warm-up. */
  public enum Schedule {
    /** Linear decay towards 0, which the step after the last would reach. */
    LINEAR,
    /** Half-cosine decay towards 0, which the step after the last would reach. */
    COSINE,
    /** The peak rate throughout. */
    CONSTANT
  }

  /** Settings whose head trains at {@code learningRate} too. */
  public TrainConfig(
      int steps,
      int batchSize,
      float learningRate,
      float weightDecay,
      int warmupSteps,
      Schedule schedule,
      float maxGradNorm,
      long seed) {
    this(
        steps,
        batchSize,
        learningRate,
        weightDecay,
        warmupSteps,
        schedule,
        maxGradNorm,
        seed,
        learningRate);
  }

  /**
   * The rules of the settings local training takes as 32-bit floats (the rates, weight decay and
   * clipping norm), for a value given as a double (a config key, a command-line option): a value
   * such as 1e300 is a finite double but infinite as a float, and 1e-60 is above 0 but 0 as a
   * float, which this record then refuses, or, where 0 means something else (the head's rate 0 is
   * the adapter's in a simulation, a clipping norm 0 is no clipping), takes as that. A simulation's
   * {@code client.*} keys and {@code train}'s options are checked by these, naming the key or the
   * option.
   */
  public enum FloatRule {
    /** Above 0 and finite as a float: a learning rate. */
    POSITIVE("> 0 as a 32-bit float: about 1.4e-45 to 3.4e38"),
    /** 0, or above 0 and finite as a float: a setting whose 0 means something of its own. */
    ZERO_OR_POSITIVE("0, or > 0 as a 32-bit float: about 1.4e-45 to 3.4e38"),
    /** At least 0 and finite as a float (a value 0 as a float is 0): the weight decay. */
    NON_NEGATIVE(">= 0 as a 32-bit float: at most about 3.4e38");

    private final String constraint;

    FloatRule(String constraint) {
      this.constraint = constraint;
    }

    /** What the rule asks, as a refusal states it. */
    public String constraint() {
      return constraint;
    }

    /** Whether {@code v} keeps the rule. */
    public boolean test(double v) {
      float f = (float) v;
      return switch (this) {
        case POSITIVE -> f > 0 && Float.isFinite(f);
        case ZERO_OR_POSITIVE -> v == 0 || (f > 0 && Float.isFinite(f));
        case NON_NEGATIVE -> f >= 0 && Float.isFinite(f);
      };
    }
  }

  /** Validates every field, naming the one that is wrong. */
  public TrainConfig {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be at least 1, got " + steps);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch_size must be at least 1, got " + batchSize);
    }
    if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning_rate must be positive, got " + learningRate);
    }
    if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
      throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
    }
    if (schedule == null) {
      throw new IllegalArgumentException("schedule must be given");
    }
    if (!(maxGradNorm >= 0) || !Float.isFinite(maxGradNorm)) {
      throw new IllegalArgumentException("max_grad_norm must be >= 0, got " + maxGradNorm);
    }
    if (!(headLearningRate > 0) || !Float.isFinite(headLearningRate)) {
      throw new IllegalArgumentException(
          "head_learning_rate must be positive, got " + headLearningRate);
    }
  }

  /** The learning rate at a 0-based step. */
  public float learningRateAt(int step) {
    if (step < warmupSteps) {
      return learningRate * (step + 1) / (warmupSteps + 1);
    }
    int decaySteps = Math.max(1, steps - warmupSteps);
    double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
    return switch (schedule) {
      case CONSTANT -> learningRate;
      case LINEAR -> (float) (learningRate * (1 - progress));
      case COSINE -> (float) (learningRate * 0.5 * (1 + Math.cos(Math.PI * progress)));
    };
  }

  /**
   * The head's learning rate at a 0-based step: {@link #learningRateAt} scaled by {@code
   * headLearningRate / learningRate}.
   */
  public float headLearningRateAt(int step) {
    float lr = learningRateAt(step);
    return headLearningRate == learningRate ? lr : lr * (headLearningRate / learningRate);
  }

  /** A copy with another batch size. */
  public TrainConfig withBatchSize(int newBatchSize) {
    return new TrainConfig(
        steps,
        newBatchSize,
        learningRate,
        weightDecay,
        warmupSteps,
        schedule,
        maxGradNorm,
        seed,
        headLearningRate);
  }

  /** A copy with another seed. */
  public TrainConfig withSeed(long newSeed) {
    return new TrainConfig(
        steps,
        batchSize,
        learningRate,
        weightDecay,
        warmupSteps,
        schedule,
        maxGradNorm,
        newSeed,
        headLearningRate);
  }
}
