package org.fedpeft.model;

import java.util.Objects;

/**
 * Which frozen model a run uses and in what precision: {@code model.name} and {@code
 * model.precision} of a config, or {@code --model} and {@code --precision} of a command. {@link
 * PretrainedModel#load(ModelChoice)} loads it.
 *
 * @param name {@value PretrainedModel#DEFAULT} (the bundled model), or a Hugging Face model folder
 * @param precision {@code fp32}, {@code bf16} or {@code auto} ({@link Precision#SETTINGS})
 */
public record ModelChoice(String name, String precision) {

  /** Checks the precision setting. */
  public ModelChoice {
    Objects.requireNonNull(name, "name");
    Precision.requireSetting(precision, "model.precision");
  }

  /** The model {@code name} in the default precision, float32. */
  public static ModelChoice of(String name) {
    return new ModelChoice(name, Precision.DEFAULT_SETTING);
  }
}
