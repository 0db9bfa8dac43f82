package org.fedpeft.io;

import java.nio.file.Path;

/**
 * Thrown when a folder that should hold a PEFT adapter does not: a missing file, a config that is
 * not JSON, a missing or ill-typed field, or a tensor that does not fit the config.
 *
 * <p>The message is {@code "<file>: <problem>"}, where the file is the adapter folder or the file
 * inside it that is at fault.
 */
public final class PeftFormatException extends RuntimeException {

  private final transient Path file;
  private final String problem;

  /**
   * Creates the exception.
   *
   * @param file the folder or file at fault
   * @param problem what is wrong, naming the field or tensor
   */
  public PeftFormatException(Path file, String problem) {
    this(file, problem, null);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param file the folder or file at fault
   * @param problem what is wrong, naming the field or tensor
   * @param cause the underlying error, or {@code null}
   */
  public PeftFormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
    this.problem = problem;
  }

  /** The folder or file at fault. */
  public Path file() {
    return file;
  }

  /** What is wrong, without the file prefix. */
  public String problem() {
    return problem;
  }
}
