package org.fedpeft.cli;

import java.util.List;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainConfig.FloatRule;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Optimiser and schedule options of local training. */
public final class TrainOptions {

  /** The command this mixin is part of, for the options' values as given. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--steps",
      paramLabel = "N",
      defaultValue = "300",
      description = "Optimiser steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      defaultValue = "16",
      description =
          "Examples per step (DP-SGD: the expected batch size); more than the training set"
              + " holds is capped at its size, with a note (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--lr",
      paramLabel = "LR",
      defaultValue = "1e-3",
      description = "Peak learning rate of AdamW (default: ${DEFAULT-VALUE}).")
  float lr;

  @Option(
      names = "--head-lr",
      paramLabel = "LR",
      description =
          "Peak learning rate of the classification head's tensors, with the same warm-up and"
              + " decay (default: --lr). Not with --objective contrastive (no head is trained);"
              + " with --adapter none, the head's rate, so not beside --lr.")
  Float headLr;

  @Option(
      names = "--weight-decay",
      paramLabel = "W",
      defaultValue = "0.01",
      description =
          "AdamW's decoupled weight decay, not applied to biases (default: ${DEFAULT-VALUE}).")
  float weightDecay;

  @Option(
      names = "--warmup",
      paramLabel = "F",
      defaultValue = "0.06",
      description =
          "Fraction of the steps used for linear warm-up, rounded to whole steps; 0: none; one"
              + " given above 0 that rounds to 0 steps is refused (default: ${DEFAULT-VALUE}).")
  double warmup;

  @Option(
      names = "--schedule",
      paramLabel = "NAME",
      defaultValue = "LINEAR",
      description = "Decay after warm-up: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  TrainConfig.Schedule schedule;

  @Option(
      names = "--max-grad-norm",
      paramLabel = "NORM",
      defaultValue = "1.0",
      description =
          "Clip the gradient's global L2 norm to this; 0 turns clipping off. Not with --dp-noise"
              + " (DP-SGD clips each example to --dp-clip instead) (default: ${DEFAULT-VALUE}).")
  float maxGradNorm;

  @Option(
      names = "--seed",
      paramLabel = "SEED",
      defaultValue = "42",
      description =
          "Seed of data splits, initialisation, batch order and dropout"
              + " (default: ${DEFAULT-VALUE}).")
  long seed;

  /** The validated configuration; a bad value is a user error naming the option. */
  public TrainConfig config() {
    if (!(warmup >= 0 && warmup < 1)) {
      throw new UserInputException("--warmup must be in [0, 1), got " + warmup);
    }
    requireFloat("--lr", FloatRule.POSITIVE);
    requireFloat("--head-lr", FloatRule.POSITIVE);
    requireFloat("--weight-decay", FloatRule.NON_NEGATIVE);
    requireFloat("--max-grad-norm", FloatRule.ZERO_OR_POSITIVE);
    try {
      return new TrainConfig(
          steps,
          batchSize,
          lr,
          weightDecay,
          (int) Math.round(steps * warmup),
          schedule,
          maxGradNorm,
          seed,
          headLr == null ? lr : headLr);
    } catch (IllegalArgumentException e) {
      throw new UserInputException(
          "invalid training option: "
              + e.getMessage()
                  .replace("head_learning_rate", "--head-lr")
                  .replace("steps", "--steps")
                  .replace("batch_size", "--batch-size")
                  .replace("learning_rate", "--lr")
                  .replace("weight_decay", "--weight-decay")
                  .replace("max_grad_norm", "--max-grad-norm"));
    }
  }

  /**
   * Refuses {@code option}'s value as given (the last, if given more than once) unless it keeps
   * {@code rule}: picocli reads it as a float, which makes 1e300 infinite and 1e-60 zero, so the
   * given text is checked, naming it, as a simulation's config checks its {@code client.*} keys.
   */
  private void requireFloat(String option, FloatRule rule) {
    OptionSpec given =
        spec == null ? null : spec.commandLine().getParseResult().matchedOption(option);
    if (given == null) {
      return;
    }
    List<String> texts = given.stringValues();
    String text = texts.get(texts.size() - 1);
    if (!rule.test(Double.parseDouble(text))) {
      throw new UserInputException(option + " " + text + " is invalid: " + rule.constraint());
    }
  }
}
