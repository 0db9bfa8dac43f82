package org.fedpeft.cli;

import picocli.CommandLine.Option;

/**
 * {@code --model} of the commands whose model no saved adapter decides ({@code train}, {@code
 * info}): the model given, else the bundled default.
 */
public final class PlainModelOption extends ModelOption {

  @Option(
      names = {"-m", "--model"},
      paramLabel = "MODEL",
      description = MODEL_DESCRIPTION)
  String model;

  @Override
  String model() {
    return model;
  }
}
