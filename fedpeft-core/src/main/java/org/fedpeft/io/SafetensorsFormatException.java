package org.fedpeft.io;

/**
 * Thrown when bytes that should be in the safetensors format are not.
 *
 * <p>The message is {@code "<source>: <problem>"}, where the source is the file path (or the name
 * given to an in-memory buffer) and the problem names the tensor or header field concerned.
 */
public final class SafetensorsFormatException extends RuntimeException {

  private final String source;
  private final String problem;

  /**
   * Creates the exception.
   *
   * @param source the file path or buffer name the bytes came from
   * @param problem what is wrong, naming the tensor or field
   */
  public SafetensorsFormatException(String source, String problem) {
    super(source + ": " + problem);
    this.source = source;
    this.problem = problem;
  }

  /** The file path or buffer name the bytes came from. */
  public String source() {
    return source;
  }

  /** What is wrong, without the source prefix. */
  public String problem() {
    return problem;
  }
}
