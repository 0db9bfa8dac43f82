package org.fedpeft.cli;

import java.io.IOException;
import org.fedpeft.model.PretrainedModel;
import picocli.CommandLine.Option;

/** The {@code --model} option shared by every command that needs a model. */
public final class ModelOption {

  @Option(
      names = {"-m", "--model"},
      paramLabel = "MODEL",
      description =
          "The frozen model: a Hugging Face model folder (config.json, model.safetensors,"
              + " tokenizer.json), or all-minilm-l6-v2, the bundled default.")
  String model;

  /** Loads the model, turning load errors into user errors. */
  public PretrainedModel load() {
    try {
      return PretrainedModel.load(model);
    } catch (IOException e) {
      throw new UserInputException(e.getMessage(), e);
    }
  }
}
