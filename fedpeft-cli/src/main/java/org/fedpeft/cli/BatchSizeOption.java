package org.fedpeft.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --batch-size} option of the commands that run the model over texts without training
 * ({@code embed}, {@code retrieve}, {@code predict}): texts per forward pass, each command with its
 * own default.
 */
public final class BatchSizeOption {

  /** The default of {@code embed} and {@code retrieve}. */
  static final int DEFAULT = 32;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description = "Texts per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize;

  /** With the default of {@code embed} and {@code retrieve}, {@value #DEFAULT}. */
  public BatchSizeOption() {
    this(DEFAULT);
  }

  /** With another default (the option's help shows it). */
  BatchSizeOption(int defaultValue) {
    this.batchSize = defaultValue;
  }

  /**
   * The batch size.
   *
   * @throws UserInputException if it is below 1
   */
  int batchSize() {
    if (batchSize < 1) {
      throw new UserInputException("--batch-size must be at least 1, got " + batchSize);
    }
    return batchSize;
  }
}
