package org.fedpeft.cli;

import java.io.IOException;
import org.fedpeft.model.ModelChoice;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import picocli.CommandLine.Option;

/**
 * The {@code --precision} option and the loading of the model shared by every command that needs a
 * model. Each subclass declares {@code --model} with the help that is true for its commands: {@link
 * PlainModelOption} (train, info: the default is the bundled model), {@link AdapterModelOption}
 * (eval, embed, retrieve, predict: a saved adapter's recorded model can be the default).
 */
public abstract class ModelOption {

  /** The start of {@code --model}'s description, the whole of it where no adapter decides it. */
  static final String MODEL_DESCRIPTION =
      "The frozen model: a Hugging Face BERT model folder (config.json, tokenizer.json,"
          + " model.safetensors or its shards), or all-minilm-l6-v2, the bundled default.";

  @Option(
      names = "--precision",
      paramLabel = "P",
      defaultValue = Precision.DEFAULT_SETTING,
      description =
          "What the frozen model's linear weights and word embeddings are held and multiplied"
              + " in: fp32; bf16 (bfloat16: half their memory, float32 accumulation, products"
              + " rounded to bfloat16; adapters, heads, gradients and optimiser state stay"
              + " float32); auto: bf16 if the CPU reports avx512_bf16 or amx_bf16, else fp32 (the"
              + " pick is printed). The default, ${DEFAULT-VALUE}, gives the same results on"
              + " every machine.")
  String precision;

  /**
   * The {@code --precision} setting.
   *
   * @throws UserInputException naming the option, the value and the allowed values
   */
  public String precisionSetting() {
    if (!Precision.isSetting(precision)) {
      throw new UserInputException(
          "--precision must be " + Precision.ALLOWED + ", got " + precision);
    }
    return precision;
  }

  /** The {@code --model} value, null when it was not given. */
  abstract String model();

  /**
   * Loads the model in the {@code --precision} setting (resolved on this machine), turning load
   * errors into user errors.
   */
  public PretrainedModel load() {
    ModelChoice choice =
        new ModelChoice(model() == null ? PretrainedModel.DEFAULT : model(), precisionSetting());
    try {
      return PretrainedModel.load(choice);
    } catch (IOException e) {
      throw new UserInputException(e.getMessage(), e);
    }
  }
}
