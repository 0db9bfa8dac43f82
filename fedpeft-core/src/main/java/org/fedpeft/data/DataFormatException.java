package org.fedpeft.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A malformed data file: the message reads {@code file:line: reason}, for example {@code
 * data/train.jsonl:17: missing field "label"}.
 *
 * <p>Unchecked, so that it travels through streams and lambdas; catch it where the user is told.
 */
public final class DataFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final String reason;

  /**
   * Creates the exception.
   *
   * @param file the file that is malformed
   * @param line the 1-based line number where the problem is (a record's first line)
   * @param reason what is wrong, without the location
   */
  public DataFormatException(Path file, int line, String reason) {
    super(file + ":" + line + ": " + reason);
    this.file = Objects.requireNonNull(file, "file");
    this.line = line;
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The malformed file. */
  public Path file() {
    return file;
  }

  /** The 1-based line number of the problem. */
  public int line() {
    return line;
  }

  /** What is wrong, without the file and line prefix. */
  public String reason() {
    return reason;
  }
}
