package org.fedpeft.cli;

/** Bad input found while a command runs (a file, a value): exit code 2, one line on stderr. */
public final class UserInputException extends RuntimeException {
  public UserInputException(String message) {
    super(message);
  }

  public UserInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
