package org.fedpeft.io;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A JSON file that cannot be read as one ({@link JsonFiles}): not UTF-8, not valid JSON, or not the
 * value expected. The message reads {@code file: reason}. An {@link IllegalArgumentException}, so
 * that it is bad input (exit 2) wherever it reaches the command line; callers with their own type
 * for a bad file (a model folder's) rewrap it with {@link #reason()}.
 */
public final class JsonFileException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String reason;

  /**
   * @param file the file that cannot be read
   * @param reason what is wrong with it, without the file
   */
  public JsonFileException(Path file, String reason, Throwable cause) {
    super(file + ": " + reason, cause);
    this.file = Objects.requireNonNull(file, "file");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The file. */
  public Path file() {
    return file;
  }

  /** What is wrong with the file, without its name. */
  public String reason() {
    return reason;
  }
}
